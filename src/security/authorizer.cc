#include "security/authorizer.h"

#include <algorithm>
#include <vector>

#include "security/principal.h"

namespace spate::security {
namespace {

// Whether an ALLOW of `granted` permits `requested` (AclOperation javadoc: "ALLOW READ implies
// ALLOW DESCRIBE", ..., "ALLOW ALTER_CONFIGS implies ALLOW DESCRIBE_CONFIGS").
bool allow_covers(acl_operation granted, acl_operation requested) {
  if (granted == requested || granted == acl_operation::all) return true;
  switch (requested) {
    case acl_operation::describe:
      return granted == acl_operation::read || granted == acl_operation::write || granted == acl_operation::remove ||
             granted == acl_operation::alter;
    case acl_operation::describe_configs: return granted == acl_operation::alter_configs;
    default: return false;
  }
}

bool names_requester(const access_control_entry& e, const authorization_request& request) {
  return (e.principal == request.principal || e.principal == wildcard_principal) &&
         (e.host == request.host || e.host == wildcard_host);
}

// A resource name no ACL can name literally: asking about it finds only the "*" and empty-prefix
// ACLs, the ones that apply to every resource of the type.
constexpr std::string_view unnamed_resource = "\x01spate-any-resource";

}  // namespace

bool authorize(const acl_index& acls, const authorizer_config& config, const authorization_request& request) {
  if (std::find(config.super_users.begin(), config.super_users.end(), request.principal) != config.super_users.end()) {
    return true;
  }
  bool any_acl = false;
  bool denied = false;
  bool allowed = false;
  acls.for_each_applicable(request.type, request.name, [&](const access_control_entry& e) {
    any_acl = true;
    if (!names_requester(e, request)) return true;
    if (e.permission == acl_permission::deny) {
      if (e.operation == request.operation || e.operation == acl_operation::all) {
        denied = true;
        return false;  // nothing can override a DENY
      }
    } else if (allow_covers(e.operation, request.operation)) {
      allowed = true;
    }
    return true;
  });
  if (!any_acl) return config.allow_everyone_if_no_acl_found;
  return allowed && !denied;
}

bool authorize_any(const acl_index& acls, const authorizer_config& config, const authorization_request& request) {
  auto unnamed = request;
  unnamed.name = unnamed_resource;
  if (authorize(acls, config, unnamed)) return true;
  std::vector<const resource_pattern*> allows;
  std::vector<const resource_pattern*> denies;
  for (const auto& b : acls.bindings()) {
    if (b.pattern.type != request.type || !names_requester(b.entry, request)) continue;
    if (b.entry.operation != request.operation && b.entry.operation != acl_operation::all) continue;
    (b.entry.permission == acl_permission::deny ? denies : allows).push_back(&b.pattern);
  }
  const auto denied = [&denies](const resource_pattern& allow) {
    return std::any_of(denies.begin(), denies.end(), [&allow](const resource_pattern* deny) {
      if (deny->pattern == pattern_type::literal) {
        return deny->name == wildcard_resource || (allow.pattern == pattern_type::literal && deny->name == allow.name);
      }
      return allow.name.starts_with(deny->name);
    });
  };
  return std::any_of(allows.begin(), allows.end(),
                     [&denied](const resource_pattern* allow) { return !denied(*allow); });
}

authorizer::authorizer(authorizer_config config, std::shared_ptr<const acl_index> acls)
    : _config(std::move(config)), _acls(acls ? std::move(acls) : std::make_shared<const acl_index>()) {}

bool authorizer::authorize(const authorization_request& request) const {
  const auto acls = _acls.load();
  return security::authorize(*acls, _config, request);
}

bool authorizer::authorize_any(const authorization_request& request) const {
  const auto acls = _acls.load();
  return security::authorize_any(*acls, _config, request);
}

}  // namespace spate::security
