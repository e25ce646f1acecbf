#include "broker/handlers/list_offsets.h"

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/leader_epoch.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using partition_response = protocol::list_offsets_response::list_offsets_partition_response;

constexpr std::int64_t latest = -1;
constexpr std::int64_t earliest = -2;
constexpr std::int64_t max_timestamp = -3;
constexpr std::int64_t earliest_local = -4;
constexpr std::int64_t latest_tiered = -5;

constexpr std::int8_t read_committed = 1;

// The timestamp and offset a lookup found; offset -1 when none. read_committed clients (v2+) see
// the log only up to the last stable offset, as their fetches do.
storage::result<storage::timestamp_offset> look_up(const storage::partition_log& log, std::int64_t target,
                                                   bool follower, bool committed) {
  // The last fetchable offset: lookups never point at records a fetch could not return.
  const auto hw = committed ? log.last_stable_offset() : log.high_watermark();
  switch (target) {
    case earliest:
    case earliest_local: return storage::timestamp_offset{-1, log.log_start_offset()};
    case latest: return storage::timestamp_offset{-1, follower ? log.log_end_offset() : hw};
    case latest_tiered: return storage::timestamp_offset{};
    case max_timestamp: {
      // Like every lookup, only among fetchable records (Kafka: below the last fetchable offset).
      auto found = log.max_timestamp();
      if (!found) return base::failure(found.error());
      if (!*found || (*found)->offset >= hw) return storage::timestamp_offset{};
      return **found;
    }
    default: {
      auto found = log.offset_for_timestamp(target, hw);
      if (!found) return base::failure(found.error());
      return found->value_or(storage::timestamp_offset{});
    }
  }
}

partition_response answer(const broker& services, std::int16_t version, std::int32_t replica_id, bool committed,
                          const std::string& topic,
                          const protocol::list_offsets_request::list_offsets_partition& wanted) {
  partition_response out;
  out.partition_index = wanted.partition_index;
  const auto log = services.logs().get(topic, wanted.partition_index);
  if (!log) {
    out.error_code = wire_code(error_code::unknown_topic_or_partition);
    return out;
  }
  if (version >= 4) {
    if (const auto e = check_current_leader_epoch(wanted.current_leader_epoch); e != error_code::none) {
      out.error_code = wire_code(e);
      return out;
    }
  }
  if (log->failed()) {  // recovering in the background; the client retries
    out.error_code = wire_code(error_code::kafka_storage_error);
    return out;
  }
  const auto found = look_up(*log, wanted.timestamp, replica_id >= 0, committed);
  if (!found) {
    out.error_code = wire_code(found.error());
    return out;
  }
  if (version == 0) {
    if (wanted.max_num_offsets > 0 && found->offset >= 0) out.old_style_offsets.push_back(found->offset);
    return out;
  }
  out.timestamp = found->timestamp;
  out.offset = found->offset;
  if (version >= 4) out.leader_epoch = found->offset >= 0 ? partition_leader_epoch : no_leader_epoch;
  return out;
}

}  // namespace

boost::asio::awaitable<list_offsets_handler::response> list_offsets_handler::handle(request_context& ctx,
                                                                                    request req) {
  // The lookups read index files (pread) like fetches do, on the event loop.
  response resp;
  resp.topics.reserve(req.topics.size());
  for (const auto& topic : req.topics) {
    auto& out = resp.topics.emplace_back();
    out.name = topic.name;
    out.partitions.reserve(topic.partitions.size());
    if (!authorized(ctx, security::acl_operation::describe, security::resource_type::topic, topic.name)) {
      for (const auto& partition : topic.partitions) {
        auto& denied = out.partitions.emplace_back();
        denied.partition_index = partition.partition_index;
        denied.error_code = wire_code(error_code::topic_authorization_failed);
      }
      continue;
    }
    for (const auto& partition : topic.partitions) {
      out.partitions.push_back(answer(ctx.services, ctx.api_version, req.replica_id,
                                      req.isolation_level == read_committed, topic.name, partition));
    }
  }
  co_return resp;
}

}  // namespace spate::broker
