#include "broker/acl_apis.h"

#include <fmt/format.h>

#include "broker/authorization.h"
#include "broker/broker.h"

namespace spate::broker {

std::optional<acl_api_refusal> refuse_acl_api(const request_context& ctx, security::acl_operation operation,
                                              security::acl_store*& store) {
  if (!authorized(ctx, operation, security::resource_type::cluster, security::cluster_resource_name)) {
    return acl_api_refusal{protocol::error_code::cluster_authorization_failed, "Cluster authorization failed."};
  }
  store = ctx.services.options().acls;
  if (store == nullptr) return acl_api_refusal{protocol::error_code::security_disabled, "No Authorizer is configured."};
  return std::nullopt;
}

security::acl_binding acl_binding_from_wire(std::int8_t resource_type, std::string resource_name,
                                            std::int8_t pattern_type, std::string principal, std::string host,
                                            std::int8_t operation, std::int8_t permission) {
  return {{security::resource_type_from_code(resource_type), std::move(resource_name),
           security::pattern_type_from_code(pattern_type)},
          {std::move(principal), std::move(host), security::operation_from_code(operation),
           security::permission_from_code(permission)}};
}

security::acl_binding_filter acl_filter_from_wire(std::int8_t resource_type, std::optional<std::string> resource_name,
                                                  std::int8_t pattern_type, std::optional<std::string> principal,
                                                  std::optional<std::string> host, std::int8_t operation,
                                                  std::int8_t permission) {
  return {security::resource_type_from_code(resource_type),
          std::move(resource_name),
          security::pattern_type_from_code(pattern_type),
          std::move(principal),
          std::move(host),
          security::operation_from_code(operation),
          security::permission_from_code(permission)};
}

std::string describe_binding(const security::acl_binding& b) {
  return fmt::format(
      "resource_type={} pattern_type={} resource=\"{}\" principal=\"{}\" host=\"{}\" operation={} permission={}",
      to_string(b.pattern.type), to_string(b.pattern.pattern), b.pattern.name, b.entry.principal, b.entry.host,
      to_string(b.entry.operation), to_string(b.entry.permission));
}

}  // namespace spate::broker
