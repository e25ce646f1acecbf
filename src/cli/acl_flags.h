#pragma once
// `spate acl`'s flags (kafka-acls.sh's) and what they ask for: the bindings to create, the filters
// to list or delete by. Pure functions, no I/O; a flag combination that asks for nothing sensible
// throws command_error naming the command (`what`).
#include <optional>
#include <string>
#include <vector>

#include "cli/client_options.h"
#include "security/acl.h"

namespace spate::cli {

struct acl_flags {
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
  std::vector<std::string> principals;  // list: keep only these principals' ACLs
  bool force = false;                   // delete: accepted for kafka-acls.sh scripts; never prompts
};

// Kafka's operation names in any case, with or without '_' or '-' ("IdempotentWrite",
// "idempotent_write"); ANY only when `filter`.
security::acl_operation parse_acl_operation(const std::string& what, const std::string& name, bool filter);

// create: every resource x principal x host x operation, as kafka-acls.sh --add: hosts default to
// "*", the operation to All, the pattern type to LITERAL (PREFIXED allowed; ANY and MATCH are
// filters only). Needs a resource and a principal.
std::vector<security::acl_binding> acls_to_create(const std::string& what, const acl_flags& flags);

// list: one filter per named resource (any principal, host, operation, permission), or one that
// matches every ACL when no resource is named.
std::vector<security::acl_binding_filter> acl_list_filters(const std::string& what, const acl_flags& flags);

// delete: one filter per resource x principal x host x operation given; a flag left out matches
// anything. Needs a resource, so that no single command deletes every ACL.
std::vector<security::acl_binding_filter> acl_delete_filters(const std::string& what, const acl_flags& flags);

}  // namespace spate::cli
