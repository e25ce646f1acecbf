#pragma once
// Kafka's ACL model (org.apache.kafka.common.acl and .resource): resource patterns, access
// control entries, bindings, and the filters of DescribeAcls / DeleteAcls, with Kafka's numeric
// codes (the int8 fields of the create_acls/describe_acls/delete_acls schemas). Value types; the
// functions are pure and thread-safe. Decisions live in authorizer.h, storage in acl_store.h.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "security/errc.h"

namespace spate::security {

// ResourceType codes. ANY only in filters; DELEGATION_TOKEN and USER exist in Kafka for
// completeness but no spate API checks them yet.
enum class resource_type : std::int8_t {
  unknown = 0,
  any = 1,
  topic = 2,
  group = 3,
  cluster = 4,
  transactional_id = 5,
  delegation_token = 6,
  user = 7,
};
// PatternType codes. ANY and MATCH only in filters.
enum class pattern_type : std::int8_t { unknown = 0, any = 1, match = 2, literal = 3, prefixed = 4 };
// AclOperation codes. ANY only in filters.
enum class acl_operation : std::int8_t {
  unknown = 0,
  any = 1,
  all = 2,
  read = 3,
  write = 4,
  create = 5,
  remove = 6,  // Kafka's DELETE (a keyword-free name)
  alter = 7,
  describe = 8,
  cluster_action = 9,
  describe_configs = 10,
  alter_configs = 11,
  idempotent_write = 12,
  create_tokens = 13,
  describe_tokens = 14,
};
// AclPermissionType codes. ANY only in filters.
enum class acl_permission : std::int8_t { unknown = 0, any = 1, deny = 2, allow = 3 };

// Wire codes to values; a code Kafka does not define is `unknown` (as Kafka's fromCode does).
resource_type resource_type_from_code(std::int8_t code);
pattern_type pattern_type_from_code(std::int8_t code);
acl_operation operation_from_code(std::int8_t code);
acl_permission permission_from_code(std::int8_t code);

// Kafka's upper-case names ("TOPIC", "PREFIXED", "DESCRIBE_CONFIGS", "ALLOW"), for files and logs.
std::string_view to_string(resource_type v);
std::string_view to_string(pattern_type v);
std::string_view to_string(acl_operation v);
std::string_view to_string(acl_permission v);
std::optional<resource_type> parse_resource_type(std::string_view name);
std::optional<pattern_type> parse_pattern_type(std::string_view name);
std::optional<acl_operation> parse_operation(std::string_view name);
std::optional<acl_permission> parse_permission(std::string_view name);

// A LITERAL resource named "*" is every resource of its type; an ACL host "*" is every host.
inline constexpr std::string_view wildcard_resource = "*";
inline constexpr std::string_view wildcard_host = "*";
// The one name of the CLUSTER resource.
inline constexpr std::string_view cluster_resource_name = "kafka-cluster";

struct resource_pattern {
  resource_type type = resource_type::topic;
  std::string name;
  pattern_type pattern = pattern_type::literal;
  friend auto operator<=>(const resource_pattern&, const resource_pattern&) = default;
};

struct access_control_entry {
  std::string principal;  // "User:alice", or "User:*" for everyone
  std::string host;       // an IP address, or "*"
  acl_operation operation = acl_operation::read;
  acl_permission permission = acl_permission::allow;
  friend auto operator<=>(const access_control_entry&, const access_control_entry&) = default;
};

struct acl_binding {
  resource_pattern pattern;
  access_control_entry entry;
  friend auto operator<=>(const acl_binding&, const acl_binding&) = default;
};

// A DescribeAcls / DeleteAcls filter (AclBindingFilter). A null (nullopt) name, principal or host
// matches anything; ANY matches any type, pattern type, operation or permission.
struct acl_binding_filter {
  resource_type type = resource_type::any;
  std::optional<std::string> name;
  // ANY: any pattern with exactly this name (when a name is given). MATCH: the patterns that
  // would apply to a resource of this name: the LITERAL name, the LITERAL "*" and every PREFIXED
  // pattern the name starts with.
  pattern_type pattern = pattern_type::any;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  acl_operation operation = acl_operation::any;
  acl_permission permission = acl_permission::any;

  bool matches(const acl_binding& binding) const;
  // The filter that matches exactly `binding` (Kafka's AclBinding.toFilter()).
  static acl_binding_filter exactly(const acl_binding& binding);
};

// Whether CreateAcls may store `binding`: nullopt, or errc::invalid_request with Kafka's message
// (unknown or filter-only values, an empty resource name, a CLUSTER resource not named
// "kafka-cluster", a principal that is not "<type>:<name>", an empty host).
std::optional<error> validate_binding(const acl_binding& binding);
// Whether a DescribeAcls / DeleteAcls filter is usable: no UNKNOWN component (INVALID_REQUEST).
std::optional<error> validate_filter(const acl_binding_filter& filter);

}  // namespace spate::security
