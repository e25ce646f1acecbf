// spate acl create|list|delete: ACLs through CreateAcls, DescribeAcls and DeleteAcls, with the
// flags of Kafka's kafka-acls.sh. Sent over kafka_connection (any security.protocol, see
// sasl_connection.h): librdkafka's ACL API knows no TRANSACTIONAL_ID resources. Works against any
// broker with an authorizer (Kafka 2.0 on, for v1 of the APIs).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/acl_flags.h"
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

// v1: pattern types, and every broker with ACLs from Kafka 2.0 to 4.x answers it.
constexpr std::int16_t acl_api_version = 1;

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

void create(const client_options& o, const acl_flags& a) {
  const std::string what = "acl create";
  const auto bindings = acls_to_create(what, a);
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

void list(const client_options& o, const acl_flags& a) {
  const std::string what = "acl list";
  std::vector<acl_binding> found;
  for (const auto& f : acl_list_filters(what, a)) {
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

void remove(const client_options& o, const acl_flags& a) {
  const std::string what = "acl delete";
  protocol::delete_acls_request request;
  for (const auto& filter : acl_delete_filters(what, a)) {
    auto& f = request.filters.emplace_back();
    f.resource_type_filter = static_cast<std::int8_t>(filter.type);
    f.resource_name_filter = filter.name;
    f.pattern_type_filter = static_cast<std::int8_t>(filter.pattern);
    f.principal_filter = filter.principal;
    f.host_filter = filter.host;
    f.operation = static_cast<std::int8_t>(filter.operation);
    f.permission_type = static_cast<std::int8_t>(filter.permission);
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

void add_principal_flags(CLI::App& cmd, acl_flags& a) {
  cmd.add_option("--allow-principal", a.allow_principals, "Principal to allow, e.g. User:alice or User:* (repeatable)");
  cmd.add_option("--deny-principal", a.deny_principals, "Principal to deny (repeatable)");
}

void add_resource_flags(CLI::App& cmd, acl_flags& a, const std::string& pattern_help) {
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
    auto a = std::make_shared<acl_flags>();
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
    auto a = std::make_shared<acl_flags>();
    auto* cmd = add_client_command(*acl, "list", "ACLs of the named resources (all ACLs when none is named)", o,
                                   [o, a] { list(*o, *a); });
    add_resource_flags(*cmd, *a,
                       "literal, prefixed, any (any pattern with the name) or match (every ACL that applies)");
    cmd->add_option("--principal", a->principals, "Only the ACLs of this principal (repeatable)");
  }
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<acl_flags>();
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
