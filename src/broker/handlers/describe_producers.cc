#include "broker/handlers/describe_producers.h"

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {

boost::asio::awaitable<describe_producers_handler::response> describe_producers_handler::handle(
    request_context& ctx, request req) {
  auto& services = ctx.services;
  response resp;
  resp.topics.reserve(req.topics.size());
  for (const auto& topic : req.topics) {
    auto& topic_out = resp.topics.emplace_back();
    topic_out.name = topic.name;
    const bool allowed = authorized(ctx, security::acl_operation::read, security::resource_type::topic, topic.name);
    for (const auto index : topic.partition_indexes) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = index;
      if (!allowed) {
        out.error_code = wire_code(protocol::error_code::topic_authorization_failed);
        continue;
      }
      auto log = services.logs().get(topic.name, index);
      if (!log) {
        out.error_code = wire_code(protocol::error_code::unknown_topic_or_partition);
        continue;
      }
      if (log->failed()) {  // its producer state is rebuilt by the recovery
        out.error_code = wire_code(protocol::error_code::kafka_storage_error);
        continue;
      }
      for (const auto& p : log->producers()) {
        auto& state = out.active_producers.emplace_back();
        state.producer_id = p.producer_id;
        state.producer_epoch = p.epoch;
        state.last_sequence = p.batches.empty() ? -1 : p.batches.back().last_sequence;
        state.last_timestamp = p.batches.empty() ? -1 : p.batches.back().timestamp;
        state.coordinator_epoch = p.coordinator_epoch;
        state.current_txn_start_offset = p.current_txn_first_offset;
      }
    }
  }
  co_return resp;
}

}  // namespace spate::broker
