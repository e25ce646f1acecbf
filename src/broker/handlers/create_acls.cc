#include "broker/handlers/create_acls.h"

#include "base/log.h"
#include "broker/acl_apis.h"
#include "broker/async.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "security/acl_store.h"

namespace spate::broker {

boost::asio::awaitable<create_acls_handler::response> create_acls_handler::handle(request_context& ctx, request req) {
  response resp;
  security::acl_store* store = nullptr;
  if (auto refusal = refuse_acl_api(ctx, security::acl_operation::alter, store)) {
    answer_each(resp.results, req.creations.size(), refusal->code, refusal->message);
    co_return resp;
  }
  std::vector<security::acl_binding> bindings;
  bindings.reserve(req.creations.size());
  for (auto& c : req.creations) {
    bindings.push_back(acl_binding_from_wire(c.resource_type, std::move(c.resource_name), c.resource_pattern_type,
                                             std::move(c.principal), std::move(c.host), c.operation,
                                             c.permission_type));
  }
  // On the blocking pool: the store rewrites and syncs acls.json.
  auto created = co_await run_blocking(ctx.services.pool(), [store, &bindings] { return store->create(bindings); });
  if (!created) {
    SPATE_LOG_ERROR("event=acls_write_failed api=CreateAcls error=\"{}\"", created.error().message);
    answer_each(resp.results, req.creations.size(), protocol::error_code::kafka_storage_error,
                "the ACLs could not be written");
    co_return resp;
  }
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    auto& out = resp.results.emplace_back();
    out.error_message = std::nullopt;
    if (auto& error = created.value()[i]) {
      out.error_code = wire_code(error->code);
      out.error_message = std::move(error->message);
    } else {
      SPATE_LOG_INFO("event=acl_created {} by={} peer={}", describe_binding(bindings[i]), ctx.principal, ctx.peer);
    }
  }
  co_return resp;
}

}  // namespace spate::broker
