#include "broker/handlers/produce.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "base/assert.h"
#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/dispatcher.h"
#include "broker/error_mapping.h"
#include "broker/partition_waiters.h"
#include "broker/produce_validation.h"
#include "broker/throttle.h"
#include "model/topic_name.h"
#include "quota/disk_gate.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using partition_response = protocol::produce_response::partition_produce_response;

// KIP-219: Produce v6+ clients back off by throttle_time_ms themselves.
constexpr std::int16_t first_self_throttling_version = 6;

struct appended {
  partition_response* response;
  std::shared_ptr<storage::partition_log> log;
  std::int64_t last_offset;
};

void set_error(partition_response& out, error_code error, std::string message = {}) {
  out.error_code = wire_code(error);
  out.base_offset = -1;
  out.log_append_time_ms = -1;
  out.log_start_offset = -1;
  if (!message.empty()) out.error_message = std::move(message);
}

// Validates and appends one partition's records; fills `out` and returns the log on success.
std::shared_ptr<storage::partition_log> append_partition(broker& services, std::int16_t version,
                                                         const std::string& topic,
                                                         protocol::produce_request::partition_produce_data& data,
                                                         partition_response& out, std::int64_t& last_offset,
                                                         bool metrics, bool disk_full) {
  out.index = data.index;
  if (model::is_internal_topic(topic)) {
    set_error(out, error_code::invalid_topic_exception, "cannot append to internal topic " + topic);
    return nullptr;
  }
  auto log = services.logs().get(topic, data.index);
  if (!log) {
    set_error(out, error_code::unknown_topic_or_partition);
    return nullptr;
  }
  if (!data.records) {
    set_error(out, error_code::invalid_record, "null records");
    return nullptr;
  }
  auto& records = *data.records;
  const auto cfg = log->config();
  const auto validation = validate_produce_records(records, version, cfg.max_message_bytes);
  if (validation.error != error_code::none) {
    set_error(out, validation.error, validation.message);
    return nullptr;
  }
  // Borrowed from the request frame (net/ keeps it until this handler completes): the offsets and
  // leader epoch are stamped in place and the log appends straight from it, no copy.
  SPATE_ASSERT(records.writable().size() == records.size(), "produce records are not writable");
  const auto batches = records.writable().first(validation.valid_bytes);
  if (cfg.compact()) {
    if (auto keyless = find_keyless_record(batches, cfg.max_message_bytes); keyless.error != error_code::none) {
      set_error(out, keyless.error, fmt::format("{} in topic partition {}-{}.", keyless.message, topic, data.index));
      if (keyless.record_index >= 0) {
        auto& record_error = out.record_errors.emplace_back();
        record_error.batch_index = keyless.record_index;
        record_error.batch_index_error_message = keyless.message;
      }
      return nullptr;
    }
  }
  if (disk_full) {
    // Retriable: every client we checked retries KAFKA_STORAGE_ERROR after refreshing metadata
    // (docs/disk-quota.md), so producers wait for space instead of failing.
    set_error(out, error_code::kafka_storage_error,
              "disk quota: the hard limit is reached; appends resume when space is freed");
    return nullptr;
  }
  stamp_partition_leader_epoch(batches);
  auto result = log->append(batches);
  if (!result) {
    set_error(out, to_wire(result.error()));
    return nullptr;
  }
  if (metrics) {
    auto& traffic = log->traffic();
    traffic.bytes_in.fetch_add(batches.size(), std::memory_order_relaxed);
    traffic.records_in.fetch_add(static_cast<std::uint64_t>(result->last_offset - result->base_offset + 1),
                                 std::memory_order_relaxed);
  }
  if (auto* gate = services.options().disk_quota) gate->note_appended(batches.size());
  out.base_offset = result->base_offset;
  out.log_append_time_ms = result->log_append_time;
  out.log_start_offset = result->log_start_offset;
  last_offset = result->last_offset;
  return log;
}

// Per appended partition, in order: the durability outcome.
struct durability_wait {
  explicit durability_wait(std::size_t n) : remaining(n), results(n, storage::errc::success) {}
  std::atomic<std::size_t> remaining;
  std::vector<storage::errc> results;
};

}  // namespace

boost::asio::awaitable<std::optional<produce_handler::response>> produce_handler::handle(request_context& ctx,
                                                                                         request req) {
  auto& services = ctx.services;
  response resp;
  const bool acks_valid = req.acks == -1 || req.acks == 0 || req.acks == 1;
  std::vector<appended> pending;
  bool any_error = false;
  co_await hold_while_over_quota(ctx, quota::client_quota_key::producer_byte_rate);
  // The disk quota: one decision per request (soft: throttle, hard: refuse every append).
  quota::admission disk;
  if (auto* gate = services.options().disk_quota) disk = gate->admit_produce();
  // Client quotas count what the client sent, appended or not, as Kafka records a request's size.
  std::size_t request_bytes = 0;
  for (const auto& topic : req.topic_data) {
    for (const auto& data : topic.partition_data) request_bytes += data.records ? data.records->size() : 0;
  }
  const auto throttle_ms = std::max(
      disk.throttle_ms,
      record_client_quota(ctx, quota::client_quota_key::producer_byte_rate, static_cast<double>(request_bytes)));
  resp.throttle_time_ms = static_cast<std::int32_t>(throttle_ms);

  // Kafka's KafkaApis.handleProduceRequest: a transactional producer needs WRITE on its
  // transactional id (or nothing is written), every producer WRITE on each topic it writes to.
  // Idempotent producers need nothing more since KIP-679.
  const bool transaction_denied =
      req.transactional_id && !authorized(ctx, security::acl_operation::write,
                                          security::resource_type::transactional_id, *req.transactional_id);
  resp.responses.reserve(req.topic_data.size());
  for (auto& topic : req.topic_data) {
    auto& topic_out = resp.responses.emplace_back();
    topic_out.name = topic.name;
    topic_out.partition_responses.reserve(topic.partition_data.size());
    const auto denied = transaction_denied ? error_code::transactional_id_authorization_failed
                        : !authorized(ctx, security::acl_operation::write, security::resource_type::topic, topic.name)
                            ? error_code::topic_authorization_failed
                            : error_code::none;
    for (auto& data : topic.partition_data) {
      auto& out = topic_out.partition_responses.emplace_back();
      if (!acks_valid || denied != error_code::none) {
        out.index = data.index;
        set_error(out, acks_valid ? denied : error_code::invalid_required_acks);
        any_error = true;
        continue;
      }
      std::int64_t last_offset = -1;
      auto log = append_partition(services, ctx.api_version, topic.name, data, out, last_offset, ctx.metrics != nullptr,
                                  disk.refuse);
      if (log) {
        pending.push_back({&out, std::move(log), last_offset});
      } else {
        any_error = true;
      }
    }
  }

  // The partitions' durability, awaited together. Every callback also wakes the fetches parked on
  // its partition: by then the high watermark covers the batch. The registry is held by shared_ptr
  // because an acks=0 callback may outlive this request.
  auto waiters = services.waiters();
  auto wait = std::make_shared<durability_wait>(pending.size());
  auto start = [&pending, waiters, wait](auto complete) {
    for (std::size_t i = 0; i < pending.size(); ++i) {
      const storage::partition_log* key = pending[i].log.get();
      pending[i].log->on_durable(pending[i].last_offset, [waiters, wait, complete, key, i](storage::errc e) mutable {
        if (e == storage::errc::success) waiters->notify(key);
        wait->results[i] = e;
        if (wait->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) complete(true);
      });
    }
  };

  if (req.acks == 0) {
    // No response to hold back: a throttled acks=0 producer is slowed by the mute alone.
    if (throttle_ms > 0 && ctx.mute_reads_for != nullptr) (*ctx.mute_reads_for)(std::chrono::milliseconds(throttle_ms));
    if (!pending.empty()) start([](bool) {});
    if (any_error) throw request_rejected("produce with acks=0 failed for a partition; closing the connection");
    co_return std::nullopt;
  }
  if (!pending.empty()) {
    (void)co_await await_completion<bool>(std::move(start));
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (wait->results[i] != storage::errc::success) set_error(*pending[i].response, to_wire(wait->results[i]));
    }
  }
  co_await apply_throttle(ctx, throttle_ms, first_self_throttling_version);
  co_return resp;
}

}  // namespace spate::broker
