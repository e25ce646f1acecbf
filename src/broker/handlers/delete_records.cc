#include "broker/handlers/delete_records.h"

#include "base/log.h"
#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "model/topic_name.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using partition_result = protocol::delete_records_response::delete_records_partition_result;

// Kafka's DeleteRecordsRequest.HIGH_WATERMARK.
constexpr std::int64_t high_watermark_offset = -1;

partition_result delete_one(storage::log_manager& logs, const std::string& topic, std::int32_t partition,
                            std::int64_t offset, bool permitted) {
  partition_result result;
  result.partition_index = partition;
  result.low_watermark = -1;
  auto fail = [&](error_code e) {
    result.error_code = wire_code(e);
    return result;
  };
  if (!permitted) return fail(error_code::topic_authorization_failed);
  // Kafka refuses DeleteRecords on internal topics the same way (ReplicaManager).
  if (model::is_internal_topic(topic)) return fail(error_code::invalid_topic_exception);
  auto log = logs.get(topic, partition);
  if (!log) return fail(error_code::unknown_topic_or_partition);
  if (offset == high_watermark_offset) offset = log->high_watermark();
  if (offset < 0) return fail(error_code::offset_out_of_range);
  auto moved = logs.delete_records(topic, partition, offset);
  if (!moved) return fail(to_wire(moved.error()));
  result.low_watermark = moved.value();
  return result;
}

}  // namespace

boost::asio::awaitable<delete_records_handler::response> delete_records_handler::handle(request_context& ctx,
                                                                                        request req) {
  auto& services = ctx.services;
  auto& logs = services.logs();
  // Kafka: DELETE on each topic (asked here, on the event loop).
  std::vector<bool> permitted;
  permitted.reserve(req.topics.size());
  for (const auto& topic : req.topics) {
    permitted.push_back(authorized(ctx, security::acl_operation::remove, security::resource_type::topic, topic.name));
  }
  // One trip to the blocking pool for the whole request: each partition's move is persisted there.
  auto work = [&logs, topics = std::move(req.topics), permitted = std::move(permitted)] {
    response resp;
    for (std::size_t i = 0; i < topics.size(); ++i) {
      const auto& topic = topics[i];
      auto& out = resp.topics.emplace_back();
      out.name = topic.name;
      for (const auto& p : topic.partitions) {
        out.partitions.push_back(delete_one(logs, topic.name, p.partition_index, p.offset, permitted[i]));
      }
    }
    return resp;
  };
  auto resp = co_await run_blocking(services.pool(), std::move(work));
  for (const auto& topic : resp.topics) {
    for (const auto& p : topic.partitions) {
      if (p.error_code == 0) {
        SPATE_LOG_INFO("event=records_deleted topic={} partition={} log_start_offset={} client={}", topic.name,
                       p.partition_index, p.low_watermark, ctx.header.client_id.value_or(""));
      }
    }
  }
  co_return resp;
}

}  // namespace spate::broker
