#pragma once
// Kafka's authorization decision (the rules of Kafka's AclAuthorizer and StandardAuthorizer, as
// the "Authorization and ACLs" section of Kafka's security documentation and the AclOperation
// javadoc state them), over an acl_index:
//
//  1. A principal listed in `super.users` is always allowed.
//  2. If no ACL at all applies to the resource (for any principal, host or operation), the answer
//     is `allow.everyone.if.no.acl.found` (default false). An ACL for someone else on the
//     resource therefore denies everyone not named (KAFKA-14435 restored this for KRaft).
//  3. A DENY that matches wins over any ALLOW.
//  4. Otherwise an ALLOW that matches allows; with nothing matching, denied.
//
// An ACL applies to the resource when its pattern is the LITERAL name, the LITERAL "*", or a
// PREFIXED prefix of the name. It matches the request when its principal is the requester's or
// "User:*", its host is the connection's or "*", and its operation is the requested one or ALL;
// an ALLOW of READ, WRITE, DELETE or ALTER also matches DESCRIBE, and an ALLOW of ALTER_CONFIGS
// matches DESCRIBE_CONFIGS (implication applies to ALLOW only: a DENY of READ does not deny
// DESCRIBE).
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/snapshot.h"
#include "security/acl_index.h"

namespace spate::security {

struct authorizer_config {
  std::vector<std::string> super_users;  // `super.users`: principals, e.g. "User:admin"
  bool allow_everyone_if_no_acl_found = false;
};

// The one resource and action a request needs.
struct authorization_request {
  std::string_view principal;  // "User:alice"
  std::string_view host;       // the client's IP address as text
  acl_operation operation = acl_operation::describe;
  resource_type type = resource_type::topic;
  std::string_view name;  // "kafka-cluster" for CLUSTER
};

// The decision for `request` under `acls` (rules above). Pure; thread-safe.
bool authorize(const acl_index& acls, const authorizer_config& config, const authorization_request& request);

// Whether the principal may do `request.operation` on at least one resource of `request.type`
// (`request.name` is ignored): Kafka's Authorizer.authorizeByResourceType (KIP-679), which lets
// an idempotent producer with WRITE on any topic get a producer id. Allowed when the question for
// an unnamed resource is (super users; allow.everyone.if.no.acl.found with no wildcard ACL), or
// when an ALLOW of the operation (or ALL) for the principal and host names a LITERAL resource or
// PREFIXED family that no matching DENY (LITERAL "*", the same name, a PREFIXED prefix of it)
// covers. Reads every binding: for rare requests only. Pure; thread-safe.
bool authorize_any(const acl_index& acls, const authorizer_config& config, const authorization_request& request);

// The broker's authorizer: its configuration and the current ACL snapshot. authorize() is
// called on every request from any event loop: it loads the snapshot (base/snapshot.h: a lock
// held only to copy the pointer, never while an ACL change is written) and decides on it.
// set_acls() publishes a new snapshot (acl_store does, after each durable change). Thread-safe.
class authorizer {
 public:
  explicit authorizer(authorizer_config config, std::shared_ptr<const acl_index> acls = nullptr);

  bool authorize(const authorization_request& request) const;
  bool authorize_any(const authorization_request& request) const;
  void set_acls(std::shared_ptr<const acl_index> acls) { _acls.store(std::move(acls)); }
  std::shared_ptr<const acl_index> acls() const { return _acls.load(); }

 private:
  const authorizer_config _config;
  base::snapshot<acl_index> _acls;
};

}  // namespace spate::security
