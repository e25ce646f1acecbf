#include "broker/handlers/describe_transactions.h"

#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "txn/transaction_coordinator.h"

namespace spate::broker {

boost::asio::awaitable<describe_transactions_handler::response> describe_transactions_handler::handle(
    request_context& ctx, request req) {
  response resp;
  for (auto& d : ctx.services.transactions().describe(req.transactional_ids)) {
    auto& out = resp.transaction_states.emplace_back();
    out.error_code = wire_code(d.error);
    out.transactional_id = std::move(d.transactional_id);
    out.transaction_state = std::move(d.state);
    out.transaction_timeout_ms = d.transaction_timeout_ms;
    out.transaction_start_time_ms = d.transaction_start_time_ms;
    out.producer_id = d.producer_id;
    out.producer_epoch = d.producer_epoch;
    for (auto& [topic, partitions] : d.topics) {
      auto& t = out.topics.emplace_back();
      t.topic = topic;
      t.partitions = std::move(partitions);
    }
  }
  co_return resp;
}

}  // namespace spate::broker
