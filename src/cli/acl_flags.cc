#include "cli/acl_flags.h"

#include <cctype>
#include <initializer_list>
#include <string_view>

namespace spate::cli {

namespace {

using security::acl_binding;
using security::acl_binding_filter;
using security::acl_operation;
using security::acl_permission;
using security::pattern_type;
using security::resource_type;

// "IdempotentWrite", "idempotent-write" and "IDEMPOTENT_WRITE" are one name.
std::string folded(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c != '_' && c != '-') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

template <typename E>
std::optional<E> parse_folded(std::string_view name, std::initializer_list<E> values) {
  for (const E v : values) {
    if (folded(to_string(v)) == folded(name)) return v;
  }
  return std::nullopt;
}

pattern_type parse_pattern(const std::string& what, const std::string& name, bool filter) {
  using p = pattern_type;
  const auto pattern = filter ? parse_folded<p>(name, {p::literal, p::prefixed, p::any, p::match})
                              : parse_folded<p>(name, {p::literal, p::prefixed});
  if (!pattern) {
    throw command_error(what + ": --resource-pattern-type must be " +
                        (filter ? "literal, prefixed, any or match" : "literal or prefixed") + ", not '" + name + "'");
  }
  return *pattern;
}

struct resource {
  resource_type type;
  std::string name;
};

std::vector<resource> resources_of(const acl_flags& f) {
  std::vector<resource> out;
  for (const auto& t : f.topics) out.push_back({resource_type::topic, t});
  for (const auto& g : f.groups) out.push_back({resource_type::group, g});
  for (const auto& t : f.transactional_ids) out.push_back({resource_type::transactional_id, t});
  if (f.cluster) out.push_back({resource_type::cluster, std::string(security::cluster_resource_name)});
  return out;
}

std::vector<resource> required_resources(const std::string& what, const acl_flags& f) {
  auto out = resources_of(f);
  if (out.empty()) throw command_error(what + ": name a resource (--topic, --group, --transactional-id, --cluster)");
  return out;
}

std::vector<acl_operation> operations_of(const std::string& what, const acl_flags& f, bool filter) {
  std::vector<acl_operation> out;
  for (const auto& name : f.operations) out.push_back(parse_acl_operation(what, name, filter));
  return out;
}

}  // namespace

acl_operation parse_acl_operation(const std::string& what, const std::string& name, bool filter) {
  using o = acl_operation;
  const auto op = parse_folded<o>(
      name, {o::all, o::read, o::write, o::create, o::remove, o::alter, o::describe, o::cluster_action,
             o::describe_configs, o::alter_configs, o::idempotent_write, o::create_tokens, o::describe_tokens});
  if (op) return *op;
  if (filter && folded(name) == "ANY") return o::any;
  throw command_error(what + ": unknown operation '" + name +
                      "' (All, Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, "
                      "AlterConfigs, IdempotentWrite, CreateTokens, DescribeTokens)");
}

std::vector<acl_binding> acls_to_create(const std::string& what, const acl_flags& f) {
  const auto resources = required_resources(what, f);
  if (f.allow_principals.empty() && f.deny_principals.empty()) {
    throw command_error(what + ": name a principal (--allow-principal or --deny-principal)");
  }
  const auto pattern = parse_pattern(what, f.pattern_type, false);
  auto operations = operations_of(what, f, false);
  if (operations.empty()) operations.push_back(acl_operation::all);
  const auto or_any_host = [](const std::vector<std::string>& hosts) {
    return hosts.empty() ? std::vector<std::string>{std::string(security::wildcard_host)} : hosts;
  };
  std::vector<acl_binding> out;
  for (const auto& r : resources) {
    for (const auto& [principals, hosts, permission] :
         {std::tuple{&f.allow_principals, or_any_host(f.allow_hosts), acl_permission::allow},
          std::tuple{&f.deny_principals, or_any_host(f.deny_hosts), acl_permission::deny}}) {
      for (const auto& principal : *principals) {
        for (const auto& host : hosts) {
          for (const auto op : operations)
            out.push_back({{r.type, r.name, pattern}, {principal, host, op, permission}});
        }
      }
    }
  }
  return out;
}

std::vector<acl_binding_filter> acl_list_filters(const std::string& what, const acl_flags& f) {
  const auto pattern = parse_pattern(what, f.pattern_type, true);
  std::vector<acl_binding_filter> out;
  for (const auto& r : resources_of(f)) {
    acl_binding_filter filter;
    filter.type = r.type;
    filter.name = r.name;
    filter.pattern = pattern;
    out.push_back(std::move(filter));
  }
  if (out.empty()) out.emplace_back();  // every ACL
  return out;
}

std::vector<acl_binding_filter> acl_delete_filters(const std::string& what, const acl_flags& f) {
  const auto resources = required_resources(what, f);
  const auto pattern = parse_pattern(what, f.pattern_type, true);
  auto operations = operations_of(what, f, true);
  if (operations.empty()) operations.push_back(acl_operation::any);
  struct entry {
    std::optional<std::string> principal;
    std::optional<std::string> host;
    acl_permission permission;
  };
  std::vector<entry> entries;
  const auto add_entries = [&entries](const std::vector<std::string>& principals, const std::vector<std::string>& hosts,
                                      acl_permission permission) {
    for (const auto& p : principals) {
      if (hosts.empty()) entries.push_back({p, std::nullopt, permission});
      for (const auto& h : hosts) entries.push_back({p, h, permission});
    }
  };
  add_entries(f.allow_principals, f.allow_hosts, acl_permission::allow);
  add_entries(f.deny_principals, f.deny_hosts, acl_permission::deny);
  if (entries.empty()) entries.push_back({std::nullopt, std::nullopt, acl_permission::any});
  std::vector<acl_binding_filter> out;
  for (const auto& r : resources) {
    for (const auto& e : entries) {
      for (const auto op : operations) out.push_back({r.type, r.name, pattern, e.principal, e.host, op, e.permission});
    }
  }
  return out;
}

}  // namespace spate::cli
