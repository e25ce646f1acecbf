#include "broker/handlers/describe_transactions.h"

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "txn/transaction_coordinator.h"

namespace spate::broker {

boost::asio::awaitable<describe_transactions_handler::response> describe_transactions_handler::handle(
    request_context& ctx, request req) {
  response resp;
  using security::acl_operation;
  using security::resource_type;
  for (auto& d : ctx.services.transactions().describe(req.transactional_ids)) {
    auto& out = resp.transaction_states.emplace_back();
    // Kafka: DESCRIBE on the transactional id, and only the topics the principal may DESCRIBE.
    if (!authorized(ctx, acl_operation::describe, resource_type::transactional_id, d.transactional_id)) {
      out.error_code = wire_code(protocol::error_code::transactional_id_authorization_failed);
      out.transactional_id = std::move(d.transactional_id);
      out.transaction_state = "";
      continue;
    }
    out.error_code = wire_code(d.error);
    out.transactional_id = std::move(d.transactional_id);
    out.transaction_state = std::move(d.state);
    out.transaction_timeout_ms = d.transaction_timeout_ms;
    out.transaction_start_time_ms = d.transaction_start_time_ms;
    out.producer_id = d.producer_id;
    out.producer_epoch = d.producer_epoch;
    for (auto& [topic, partitions] : d.topics) {
      if (!authorized(ctx, acl_operation::describe, resource_type::topic, topic, on_denial::quiet)) continue;
      auto& t = out.topics.emplace_back();
      t.topic = topic;
      t.partitions = std::move(partitions);
    }
  }
  co_return resp;
}

}  // namespace spate::broker
