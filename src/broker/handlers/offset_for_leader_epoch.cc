#include "broker/handlers/offset_for_leader_epoch.h"

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/leader_epoch.h"

namespace spate::broker {

boost::asio::awaitable<offset_for_leader_epoch_handler::response> offset_for_leader_epoch_handler::handle(
    request_context& ctx, request req) {
  response resp;
  resp.topics.reserve(req.topics.size());
  for (const auto& topic : req.topics) {
    auto& out = resp.topics.emplace_back();
    out.topic = topic.topic;
    out.partitions.reserve(topic.partitions.size());
    const bool allowed =
        authorized(ctx, security::acl_operation::describe, security::resource_type::topic, topic.topic);
    for (const auto& wanted : topic.partitions) {
      auto& p = out.partitions.emplace_back();
      p.partition = wanted.partition;
      if (!allowed) {
        p.error_code = wire_code(protocol::error_code::topic_authorization_failed);
        continue;
      }
      const auto log = ctx.services.logs().get(topic.topic, wanted.partition);
      if (!log) {
        p.error_code = wire_code(protocol::error_code::unknown_topic_or_partition);
        continue;
      }
      if (ctx.api_version >= 2) {
        if (const auto e = check_current_leader_epoch(wanted.current_leader_epoch); e != protocol::error_code::none) {
          p.error_code = wire_code(e);
          continue;
        }
      }
      if (log->failed()) {  // recovering in the background; the client retries
        p.error_code = wire_code(protocol::error_code::kafka_storage_error);
        continue;
      }
      if (wanted.leader_epoch == partition_leader_epoch) {
        p.leader_epoch = partition_leader_epoch;
        p.end_offset = log->log_end_offset();
      }  // else: undefined epoch and offset, -1/-1 (the defaults)
    }
  }
  co_return resp;
}

}  // namespace spate::broker
