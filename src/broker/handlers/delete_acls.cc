#include "broker/handlers/delete_acls.h"

#include <set>

#include "base/log.h"
#include "broker/acl_apis.h"
#include "broker/async.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "security/acl_store.h"

namespace spate::broker {

boost::asio::awaitable<delete_acls_handler::response> delete_acls_handler::handle(request_context& ctx, request req) {
  response resp;
  security::acl_store* store = nullptr;
  if (auto refusal = refuse_acl_api(ctx, security::acl_operation::alter, store)) {
    answer_each(resp.filter_results, req.filters.size(), refusal->code, refusal->message);
    co_return resp;
  }
  std::vector<security::acl_binding_filter> filters;
  filters.reserve(req.filters.size());
  for (auto& f : req.filters) {
    filters.push_back(acl_filter_from_wire(f.resource_type_filter, std::move(f.resource_name_filter),
                                           f.pattern_type_filter, std::move(f.principal_filter),
                                           std::move(f.host_filter), f.operation, f.permission_type));
  }
  // On the blocking pool: the store rewrites and syncs acls.json.
  auto removed = co_await run_blocking(ctx.services.pool(), [store, &filters] { return store->remove(filters); });
  if (!removed) {
    SPATE_LOG_ERROR("event=acls_write_failed api=DeleteAcls error=\"{}\"", removed.error().message);
    answer_each(resp.filter_results, req.filters.size(), protocol::error_code::kafka_storage_error,
                "the ACLs could not be written");
    co_return resp;
  }
  // A binding two filters matched is listed under both but was deleted once: logged once.
  std::set<security::acl_binding> logged;
  for (auto& result : removed.value()) {
    auto& out = resp.filter_results.emplace_back();
    out.error_message = std::nullopt;
    if (result.error) {
      out.error_code = wire_code(result.error->code);
      out.error_message = std::move(result.error->message);
      continue;
    }
    for (auto& b : result.deleted) {
      if (logged.insert(b).second) {
        SPATE_LOG_INFO("event=acl_deleted {} by={} peer={}", describe_binding(b), ctx.principal, ctx.peer);
      }
      auto& acl = out.matching_acls.emplace_back();
      acl.error_message = std::nullopt;
      acl.resource_type = static_cast<std::int8_t>(b.pattern.type);
      acl.resource_name = std::move(b.pattern.name);
      acl.pattern_type = static_cast<std::int8_t>(b.pattern.pattern);
      acl.principal = std::move(b.entry.principal);
      acl.host = std::move(b.entry.host);
      acl.operation = static_cast<std::int8_t>(b.entry.operation);
      acl.permission_type = static_cast<std::int8_t>(b.entry.permission);
    }
  }
  co_return resp;
}

}  // namespace spate::broker
