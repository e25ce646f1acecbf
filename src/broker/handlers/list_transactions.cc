#include "broker/handlers/list_transactions.h"

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "txn/transaction_coordinator.h"

namespace spate::broker {

boost::asio::awaitable<list_transactions_handler::response> list_transactions_handler::handle(request_context& ctx,
                                                                                              request req) {
  auto listed = ctx.services.transactions().list(req.state_filters, req.producer_id_filters, req.duration_filter);
  response resp;
  resp.error_code = wire_code(listed.error);
  resp.unknown_state_filters = std::move(listed.unknown_state_filters);
  for (auto& t : listed.transactions) {
    // Kafka lists the transactional ids the principal may DESCRIBE.
    if (!authorized(ctx, security::acl_operation::describe, security::resource_type::transactional_id,
                    t.transactional_id, on_denial::quiet)) {
      continue;
    }
    auto& out = resp.transaction_states.emplace_back();
    out.transactional_id = std::move(t.transactional_id);
    out.producer_id = t.producer_id;
    out.transaction_state = std::move(t.state);
  }
  co_return resp;
}

}  // namespace spate::broker
