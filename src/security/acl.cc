#include "security/acl.h"

#include <array>

#include "security/principal.h"

namespace spate::security {
namespace {

// Names indexed by code.
constexpr std::array<std::string_view, 8> resource_type_names = {
    "UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"};
constexpr std::array<std::string_view, 5> pattern_type_names = {"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"};
constexpr std::array<std::string_view, 15> operation_names = {"UNKNOWN",
                                                              "ANY",
                                                              "ALL",
                                                              "READ",
                                                              "WRITE",
                                                              "CREATE",
                                                              "DELETE",
                                                              "ALTER",
                                                              "DESCRIBE",
                                                              "CLUSTER_ACTION",
                                                              "DESCRIBE_CONFIGS",
                                                              "ALTER_CONFIGS",
                                                              "IDEMPOTENT_WRITE",
                                                              "CREATE_TOKENS",
                                                              "DESCRIBE_TOKENS"};
constexpr std::array<std::string_view, 4> permission_names = {"UNKNOWN", "ANY", "DENY", "ALLOW"};

template <typename E, std::size_t N>
E from_code(std::int8_t code, const std::array<std::string_view, N>&) {
  return code >= 0 && static_cast<std::size_t>(code) < N ? static_cast<E>(code) : static_cast<E>(0);
}

template <typename E, std::size_t N>
std::string_view name_of(E v, const std::array<std::string_view, N>& names) {
  const int code = static_cast<int>(v);  // from the enum, not through its int8_t
  return code >= 0 && static_cast<std::size_t>(code) < N ? names[static_cast<std::size_t>(code)] : names[0];
}

template <typename E, std::size_t N>
std::optional<E> parse(std::string_view name, const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

bool matches_name(const acl_binding_filter& f, const resource_pattern& p) {
  if (!f.name) return true;
  // An exact pattern type (or ANY) compares names; MATCH asks which patterns apply to the name
  // (Kafka's ResourcePatternFilter.matches).
  if (f.pattern != pattern_type::match) return *f.name == p.name;
  switch (p.pattern) {
    case pattern_type::literal: return *f.name == p.name || p.name == wildcard_resource;
    case pattern_type::prefixed: return f.name->starts_with(p.name);
    default: return false;
  }
}

error invalid(std::string message) { return error{errc::invalid_request, std::move(message)}; }

}  // namespace

resource_type resource_type_from_code(std::int8_t code) { return from_code<resource_type>(code, resource_type_names); }
pattern_type pattern_type_from_code(std::int8_t code) { return from_code<pattern_type>(code, pattern_type_names); }
acl_operation operation_from_code(std::int8_t code) { return from_code<acl_operation>(code, operation_names); }
acl_permission permission_from_code(std::int8_t code) { return from_code<acl_permission>(code, permission_names); }

std::string_view to_string(resource_type v) { return name_of(v, resource_type_names); }
std::string_view to_string(pattern_type v) { return name_of(v, pattern_type_names); }
std::string_view to_string(acl_operation v) { return name_of(v, operation_names); }
std::string_view to_string(acl_permission v) { return name_of(v, permission_names); }
std::optional<resource_type> parse_resource_type(std::string_view n) {
  return parse<resource_type>(n, resource_type_names);
}
std::optional<pattern_type> parse_pattern_type(std::string_view n) {
  return parse<pattern_type>(n, pattern_type_names);
}
std::optional<acl_operation> parse_operation(std::string_view n) { return parse<acl_operation>(n, operation_names); }
std::optional<acl_permission> parse_permission(std::string_view n) {
  return parse<acl_permission>(n, permission_names);
}

bool acl_binding_filter::matches(const acl_binding& b) const {
  if (type != resource_type::any && type != b.pattern.type) return false;
  if (pattern != pattern_type::any && pattern != pattern_type::match && pattern != b.pattern.pattern) return false;
  if (!matches_name(*this, b.pattern)) return false;
  if (principal && *principal != b.entry.principal) return false;
  if (host && *host != b.entry.host) return false;
  if (operation != acl_operation::any && operation != b.entry.operation) return false;
  return permission == acl_permission::any || permission == b.entry.permission;
}

acl_binding_filter acl_binding_filter::exactly(const acl_binding& b) {
  return acl_binding_filter{b.pattern.type, b.pattern.name,    b.pattern.pattern, b.entry.principal,
                            b.entry.host,   b.entry.operation, b.entry.permission};
}

std::optional<error> validate_binding(const acl_binding& b) {
  // Kafka's messages (AclControlManager.validateNewAcl, AclApis.createAcls).
  if (b.pattern.type == resource_type::unknown || b.pattern.type == resource_type::any) {
    return invalid("Invalid resourceType " + std::string(to_string(b.pattern.type)));
  }
  if (b.pattern.pattern != pattern_type::literal && b.pattern.pattern != pattern_type::prefixed) {
    return invalid("Invalid patternType " + std::string(to_string(b.pattern.pattern)));
  }
  if (b.entry.operation == acl_operation::unknown || b.entry.operation == acl_operation::any) {
    return invalid("Invalid operation " + std::string(to_string(b.entry.operation)));
  }
  if (b.entry.permission == acl_permission::unknown || b.entry.permission == acl_permission::any) {
    return invalid("Invalid permissionType " + std::string(to_string(b.entry.permission)));
  }
  if (b.pattern.name.empty()) return invalid("Resource name should not be empty");
  if (b.pattern.type == resource_type::cluster && b.pattern.name != cluster_resource_name) {
    return invalid("The only valid name for the CLUSTER resource is " + std::string(cluster_resource_name));
  }
  if (!parse_principal(b.entry.principal)) return invalid("Could not parse principal " + b.entry.principal);
  // Ours: Kafka stores an empty host, which then never matches a connection.
  if (b.entry.host.empty()) return invalid("Host should not be empty");
  return std::nullopt;
}

std::optional<error> validate_filter(const acl_binding_filter& f) {
  if (f.type == resource_type::unknown || f.pattern == pattern_type::unknown || f.operation == acl_operation::unknown ||
      f.permission == acl_permission::unknown) {
    return invalid("Filter contain UNKNOWN elements");  // Kafka's message, sic
  }
  return std::nullopt;
}

}  // namespace spate::security
