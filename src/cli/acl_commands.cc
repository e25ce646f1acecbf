// spate acl create|list|delete: ACLs through CreateAcls, DescribeAcls and DeleteAcls, with the
// flags of Kafka's kafka-acls.sh. Sent over kafka_connection (PLAINTEXT or SASL_PLAINTEXT):
// librdkafka's ACL API knows no TRANSACTIONAL_ID resources. Works against any broker with an
// authorizer (Kafka 2.0 on, for v1 of the APIs).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/sasl_connection.h"
#include "cli/table.h"
#include "protocol/messages/create_acls.h"
#include "protocol/messages/delete_acls.h"
#include "protocol/messages/describe_acls.h"
#include "security/acl.h"

namespace spate::cli {

namespace {

using json = nlohmann::json;
using security::acl_binding;
using security::acl_binding_filter;
using security::acl_operation;
using security::acl_permission;
using security::pattern_type;
using security::resource_type;

// v1: pattern types, and every broker with ACLs from Kafka 2.0 to 4.x answers it.
constexpr std::int16_t acl_api_version = 1;

// The flags; each command reads the ones it registered.
struct acl_args {
  std::vector<std::string> allow_principals;
  std::vector<std::string> deny_principals;
  std::vector<std::string> allow_hosts;
  std::vector<std::string> deny_hosts;
  std::vector<std::string> operations;
  std::vector<std::string> topics;
  std::vector<std::string> groups;
  std::vector<std::string> transactional_ids;
  bool cluster = false;
  std::string pattern_type = "literal";
  std::vector<std::string> principals;  // list
  bool force = false;                   // delete: accepted for kafka-acls.sh scripts; never prompts
};

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

acl_operation operation_of(const std::string& what, const std::string& name, bool filter) {
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

pattern_type pattern_of(const std::string& what, const std::string& name, bool filter) {
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

std::vector<resource> resources_of(const acl_args& a) {
  std::vector<resource> out;
  for (const auto& t : a.topics) out.push_back({resource_type::topic, t});
  for (const auto& g : a.groups) out.push_back({resource_type::group, g});
  for (const auto& t : a.transactional_ids) out.push_back({resource_type::transactional_id, t});
  if (a.cluster) out.push_back({resource_type::cluster, std::string(security::cluster_resource_name)});
  return out;
}

std::vector<std::string> or_any_host(const std::vector<std::string>& hosts) {
  return hosts.empty() ? std::vector<std::string>{std::string(security::wildcard_host)} : hosts;
}

void add_binding_row(table& t, json& rows, const acl_binding& b) {
  const std::vector<std::string> cells = {std::string(to_string(b.pattern.type)),
                                          b.pattern.name,
                                          std::string(to_string(b.pattern.pattern)),
                                          b.entry.principal,
                                          b.entry.host,
                                          std::string(to_string(b.entry.operation)),
                                          std::string(to_string(b.entry.permission))};
  t.add_row(cells);
  rows.push_back({{"resource_type", cells[0]},
                  {"resource_name", cells[1]},
                  {"pattern_type", cells[2]},
                  {"principal", cells[3]},
                  {"host", cells[4]},
                  {"operation", cells[5]},
                  {"permission", cells[6]}});
}

table bindings_table() {
  return table({"RESOURCE_TYPE", "NAME", "PATTERN", "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"});
}

// Prints the bindings (a table, or {"acls": [...]} with --json), or `none` when there are none.
void print_bindings(const client_options& o, const std::vector<acl_binding>& bindings, const std::string& none) {
  table t = bindings_table();
  json rows = json::array();
  for (const auto& b : bindings) add_binding_row(t, rows, b);
  if (o.json) {
    print_text(json{{"acls", rows}}.dump(2) + "\n");
  } else {
    print_text(bindings.empty() ? none + "\n" : t.render());
  }
}

template <typename Response, typename Request>
Response call(const client_options& o, const std::string& what, const Request& request) {
  auto connection = open_connection(o, what);
  try {
    return connection->call<Response>(request, acl_api_version);
  } catch (const std::exception& e) {
    fail(what + " " + first_broker(o), RD_KAFKA_RESP_ERR__TRANSPORT, e.what());
  }
}

acl_binding binding_of(const resource& r, pattern_type pattern, const std::string& principal, const std::string& host,
                       acl_operation op, acl_permission permission) {
  return {{r.type, r.name, pattern}, {principal, host, op, permission}};
}

void create(const client_options& o, const acl_args& a) {
  const std::string what = "acl create";
  const auto resources = resources_of(a);
  if (resources.empty())
    throw command_error(what + ": name a resource (--topic, --group, --transactional-id, --cluster)");
  if (a.allow_principals.empty() && a.deny_principals.empty()) {
    throw command_error(what + ": name a principal (--allow-principal or --deny-principal)");
  }
  const auto pattern = pattern_of(what, a.pattern_type, false);
  std::vector<acl_operation> operations;
  for (const auto& name : a.operations.empty() ? std::vector<std::string>{"All"} : a.operations) {
    operations.push_back(operation_of(what, name, false));
  }
  // Every resource x principal x host x operation, as kafka-acls.sh --add.
  std::vector<acl_binding> bindings;
  for (const auto& r : resources) {
    for (const auto& [principals, hosts, permission] :
         {std::tuple{&a.allow_principals, or_any_host(a.allow_hosts), acl_permission::allow},
          std::tuple{&a.deny_principals, or_any_host(a.deny_hosts), acl_permission::deny}}) {
      for (const auto& principal : *principals) {
        for (const auto& host : hosts) {
          for (const auto op : operations) bindings.push_back(binding_of(r, pattern, principal, host, op, permission));
        }
      }
    }
  }
  protocol::create_acls_request request;
  for (const auto& b : bindings) {
    auto& c = request.creations.emplace_back();
    c.resource_type = static_cast<std::int8_t>(b.pattern.type);
    c.resource_name = b.pattern.name;
    c.resource_pattern_type = static_cast<std::int8_t>(b.pattern.pattern);
    c.principal = b.entry.principal;
    c.host = b.entry.host;
    c.operation = static_cast<std::int8_t>(b.entry.operation);
    c.permission_type = static_cast<std::int8_t>(b.entry.permission);
  }
  const auto response = call<protocol::create_acls_response>(o, what, request);
  if (response.results.size() != bindings.size()) {
    throw command_error(what + ": the broker answered " + std::to_string(response.results.size()) + " results for " +
                        std::to_string(bindings.size()) + " ACLs");
  }
  for (const auto& r : response.results) {
    if (r.error_code != 0) {
      fail(what, static_cast<rd_kafka_resp_err_t>(r.error_code), r.error_message.value_or(""));
    }
  }
  print_bindings(o, bindings, "No ACLs");
}

// The resource part of a filter: each named resource, or every resource when none is named.
std::vector<acl_binding_filter> resource_filters(const acl_args& a, pattern_type pattern) {
  std::vector<acl_binding_filter> out;
  for (const auto& r : resources_of(a)) {
    acl_binding_filter f;
    f.type = r.type;
    f.name = r.name;
    f.pattern = pattern;
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<acl_binding> bindings_of(const protocol::describe_acls_response& response) {
  std::vector<acl_binding> out;
  for (const auto& r : response.resources) {
    for (const auto& acl : r.acls) {
      out.push_back({{security::resource_type_from_code(r.resource_type), r.resource_name,
                      security::pattern_type_from_code(r.pattern_type)},
                     {acl.principal, acl.host, security::operation_from_code(acl.operation),
                      security::permission_from_code(acl.permission_type)}});
    }
  }
  return out;
}

void list(const client_options& o, const acl_args& a) {
  const std::string what = "acl list";
  auto filters = resource_filters(a, pattern_of(what, a.pattern_type, true));
  if (filters.empty()) filters.emplace_back();  // every ACL
  std::vector<acl_binding> found;
  for (const auto& f : filters) {
    protocol::describe_acls_request request;
    request.resource_type_filter = static_cast<std::int8_t>(f.type);
    request.resource_name_filter = f.name;
    request.pattern_type_filter = static_cast<std::int8_t>(f.pattern);
    request.principal_filter = std::nullopt;
    request.host_filter = std::nullopt;
    request.operation = static_cast<std::int8_t>(acl_operation::any);
    request.permission_type = static_cast<std::int8_t>(acl_permission::any);
    const auto response = call<protocol::describe_acls_response>(o, what, request);
    if (response.error_code != 0) {
      fail(what, static_cast<rd_kafka_resp_err_t>(response.error_code), response.error_message.value_or(""));
    }
    for (auto& b : bindings_of(response)) {
      // --principal keeps the ACLs of those principals, as kafka-acls.sh --list --principal.
      if (!a.principals.empty() &&
          std::find(a.principals.begin(), a.principals.end(), b.entry.principal) == a.principals.end()) {
        continue;
      }
      found.push_back(std::move(b));
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  print_bindings(o, found, "No ACLs");
}

void remove(const client_options& o, const acl_args& a) {
  const std::string what = "acl delete";
  const auto resources = resource_filters(a, pattern_of(what, a.pattern_type, true));
  if (resources.empty())
    throw command_error(what + ": name a resource (--topic, --group, --transactional-id, --cluster)");
  std::vector<acl_operation> operations;
  for (const auto& name : a.operations) operations.push_back(operation_of(what, name, true));
  if (operations.empty()) operations.push_back(acl_operation::any);
  // Each resource x principal x host x operation; a flag left out matches anything.
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
  add_entries(a.allow_principals, a.allow_hosts, acl_permission::allow);
  add_entries(a.deny_principals, a.deny_hosts, acl_permission::deny);
  if (entries.empty()) entries.push_back({std::nullopt, std::nullopt, acl_permission::any});
  protocol::delete_acls_request request;
  for (const auto& r : resources) {
    for (const auto& e : entries) {
      for (const auto op : operations) {
        auto& f = request.filters.emplace_back();
        f.resource_type_filter = static_cast<std::int8_t>(r.type);
        f.resource_name_filter = r.name;
        f.pattern_type_filter = static_cast<std::int8_t>(r.pattern);
        f.principal_filter = e.principal;
        f.host_filter = e.host;
        f.operation = static_cast<std::int8_t>(op);
        f.permission_type = static_cast<std::int8_t>(e.permission);
      }
    }
  }
  const auto response = call<protocol::delete_acls_response>(o, what, request);
  std::vector<acl_binding> deleted;
  for (const auto& r : response.filter_results) {
    if (r.error_code != 0) {
      fail(what, static_cast<rd_kafka_resp_err_t>(r.error_code), r.error_message.value_or(""));
    }
    for (const auto& m : r.matching_acls) {
      if (m.error_code != 0) {
        fail(what, static_cast<rd_kafka_resp_err_t>(m.error_code), m.error_message.value_or(""));
      }
      deleted.push_back({{security::resource_type_from_code(m.resource_type), m.resource_name,
                          security::pattern_type_from_code(m.pattern_type)},
                         {m.principal, m.host, security::operation_from_code(m.operation),
                          security::permission_from_code(m.permission_type)}});
    }
  }
  std::sort(deleted.begin(), deleted.end());
  deleted.erase(std::unique(deleted.begin(), deleted.end()), deleted.end());
  print_bindings(o, deleted, "No ACLs matched");
}

void add_principal_flags(CLI::App& cmd, acl_args& a) {
  cmd.add_option("--allow-principal", a.allow_principals, "Principal to allow, e.g. User:alice or User:* (repeatable)");
  cmd.add_option("--deny-principal", a.deny_principals, "Principal to deny (repeatable)");
}

void add_resource_flags(CLI::App& cmd, acl_args& a, const std::string& pattern_help) {
  cmd.add_option("--topic", a.topics, "Topic (repeatable; * for every topic)");
  cmd.add_option("--group", a.groups, "Consumer group (repeatable; * for every group)");
  cmd.add_option("--transactional-id", a.transactional_ids, "Transactional id (repeatable; * for every one)");
  cmd.add_flag("--cluster", a.cluster, "The cluster resource");
  cmd.add_option("--resource-pattern-type", a.pattern_type, pattern_help)->capture_default_str();
}

}  // namespace

void register_acl_commands(CLI::App& app) {
  auto* acl = app.add_subcommand("acl", "ACLs of the broker's authorizer (kafka-acls.sh's flags)");
  acl->require_subcommand(1);
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<acl_args>();
    auto* cmd = add_client_command(*acl, "create", "Add ACLs: every resource x principal x host x operation", o,
                                   [o, a] { create(*o, *a); });
    add_principal_flags(*cmd, *a);
    cmd->add_option("--allow-host", a->allow_hosts,
                    "Host (IP address) of the allowed principals (repeatable; default *)");
    cmd->add_option("--deny-host", a->deny_hosts, "Host of the denied principals (repeatable; default *)");
    cmd->add_option("--operation", a->operations,
                    "Operation, e.g. Read, Write, Describe, IdempotentWrite, All (repeatable; default All)");
    add_resource_flags(*cmd, *a, "literal or prefixed");
  }
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<acl_args>();
    auto* cmd = add_client_command(*acl, "list", "ACLs of the named resources (all ACLs when none is named)", o,
                                   [o, a] { list(*o, *a); });
    add_resource_flags(*cmd, *a,
                       "literal, prefixed, any (any pattern with the name) or match (every ACL that applies)");
    cmd->add_option("--principal", a->principals, "Only the ACLs of this principal (repeatable)");
  }
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<acl_args>();
    auto* cmd = add_client_command(*acl, "delete",
                                   "Delete the ACLs of the named resources that match the flags given; a flag left "
                                   "out matches anything",
                                   o, [o, a] { remove(*o, *a); });
    add_principal_flags(*cmd, *a);
    cmd->add_option("--allow-host", a->allow_hosts, "Host of the allowed principals (repeatable; default any)");
    cmd->add_option("--deny-host", a->deny_hosts, "Host of the denied principals (repeatable; default any)");
    cmd->add_option("--operation", a->operations, "Operation (repeatable; default any)");
    add_resource_flags(*cmd, *a, "literal, prefixed, any or match (careful: every ACL that applies)");
    cmd->add_flag("--force", a->force, "Accepted for kafka-acls.sh scripts; delete never asks for confirmation");
  }
}

}  // namespace spate::cli
