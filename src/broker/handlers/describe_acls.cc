#include "broker/handlers/describe_acls.h"

#include <map>

#include "broker/acl_apis.h"
#include "broker/error_mapping.h"
#include "security/acl_store.h"

namespace spate::broker {

boost::asio::awaitable<describe_acls_handler::response> describe_acls_handler::handle(request_context& ctx,
                                                                                      request req) {
  response resp;
  resp.error_message = std::nullopt;
  security::acl_store* store = nullptr;
  if (auto refusal = refuse_acl_api(ctx, security::acl_operation::describe, store)) {
    resp.error_code = wire_code(refusal->code);
    resp.error_message = std::move(refusal->message);
    co_return resp;
  }
  const auto filter = acl_filter_from_wire(req.resource_type_filter, std::move(req.resource_name_filter),
                                           req.pattern_type_filter, std::move(req.principal_filter),
                                           std::move(req.host_filter), req.operation, req.permission_type);
  // A read of the store's immutable snapshot: no I/O, fine on the event loop.
  auto described = store->describe(filter);
  if (!described) {
    resp.error_code = wire_code(described.error().code);
    resp.error_message = described.error().message;
    co_return resp;
  }
  // One entry per resource pattern with its ACLs, as Kafka's DescribeAclsResponse.aclsResources.
  std::map<security::resource_pattern, std::vector<response::acl_description>> by_resource;
  for (auto& b : described.value()) {
    auto& acl = by_resource[b.pattern].emplace_back();
    acl.principal = std::move(b.entry.principal);
    acl.host = std::move(b.entry.host);
    acl.operation = static_cast<std::int8_t>(b.entry.operation);
    acl.permission_type = static_cast<std::int8_t>(b.entry.permission);
  }
  for (auto& [pattern, acls] : by_resource) {
    auto& out = resp.resources.emplace_back();
    out.resource_type = static_cast<std::int8_t>(pattern.type);
    out.resource_name = pattern.name;
    out.pattern_type = static_cast<std::int8_t>(pattern.pattern);
    out.acls = std::move(acls);
  }
  co_return resp;
}

}  // namespace spate::broker
