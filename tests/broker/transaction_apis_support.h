#pragma once
// Helpers for the transaction API tests (transaction_apis_*_test.cc): one call per raw request
// (InitProducerId, AddPartitionsToTxn, EndTxn, DescribeTransactions, read_committed Fetch...),
// batches of an idempotent or transactional producer, and waiting for what the transaction
// coordinator finishes after answering (markers, the CompleteCommit/CompleteAbort record).
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "data_path_support.h"
#include "model/record_batch.h"
#include "protocol/error_code.h"
#include "protocol/messages/add_partitions_to_txn.h"
#include "protocol/messages/describe_transactions.h"
#include "protocol/messages/end_txn.h"
#include "protocol/messages/init_producer_id.h"

namespace spate::broker::testing {

inline std::int16_t code(protocol::error_code e) { return static_cast<std::int16_t>(e); }

template <typename Response, typename Request>
Response call(broker& services, const Request& request, std::int16_t version) {
  return read_response<Response>(*dispatch(services, request_frame(request, version)), version);
}

// A producer id and epoch as InitProducerId handed them out.
struct producer_identity {
  std::int64_t id = -1;
  std::int16_t epoch = -1;
};

inline protocol::init_producer_id_response init_producer_id(broker& services,
                                                            std::optional<std::string> transactional_id,
                                                            std::int16_t version = 4, std::int32_t timeout_ms = 60000,
                                                            producer_identity current = {}) {
  protocol::init_producer_id_request req;
  req.transactional_id = std::move(transactional_id);
  req.transaction_timeout_ms = timeout_ms;
  req.producer_id = current.id;
  req.producer_epoch = current.epoch;
  return call<protocol::init_producer_id_response>(services, req, version);
}

// InitProducerId that must succeed.
inline producer_identity init_ok(broker& services, std::optional<std::string> transactional_id,
                                 std::int16_t version = 4) {
  const auto resp = init_producer_id(services, std::move(transactional_id), version);
  if (resp.error_code != 0) throw std::runtime_error("InitProducerId failed: " + std::to_string(resp.error_code));
  return {resp.producer_id, resp.producer_epoch};
}

using topic_partitions = std::vector<std::pair<std::string, std::vector<std::int32_t>>>;

// AddPartitionsToTxn (v0-v3 layout): the error of every partition, in request order.
inline std::vector<std::int16_t> add_partitions(broker& services, const std::string& transactional_id,
                                                producer_identity p, const topic_partitions& topics,
                                                std::int16_t version = 3) {
  protocol::add_partitions_to_txn_request req;
  req.v3_and_below_transactional_id = transactional_id;
  req.v3_and_below_producer_id = p.id;
  req.v3_and_below_producer_epoch = p.epoch;
  for (const auto& [name, partitions] : topics) {
    auto& t = req.v3_and_below_topics.emplace_back();
    t.name = name;
    t.partitions = partitions;
  }
  const auto resp = call<protocol::add_partitions_to_txn_response>(services, req, version);
  std::vector<std::int16_t> errors;
  for (const auto& t : resp.results_by_topic_v3_and_below) {
    for (const auto& part : t.results_by_partition) errors.push_back(part.partition_error_code);
  }
  return errors;
}

inline std::int16_t end_txn(broker& services, const std::string& transactional_id, producer_identity p, bool commit,
                            std::int16_t version = 3) {
  protocol::end_txn_request req;
  req.transactional_id = transactional_id;
  req.producer_id = p.id;
  req.producer_epoch = p.epoch;
  req.committed = commit;
  return call<protocol::end_txn_response>(services, req, version).error_code;
}

inline protocol::describe_transactions_response::transaction_state_data describe_transaction(
    broker& services, const std::string& transactional_id) {
  protocol::describe_transactions_request req;
  req.transactional_ids = {transactional_id};
  auto resp = call<protocol::describe_transactions_response>(services, req, 0);
  return resp.transaction_states.at(0);
}

// Wall-clock time, for record timestamps. Batches in one test stay in one segment only if their
// timestamps are close to the markers' (stamped with the log's clock): segment.ms is measured in
// the batches' own time, as in Kafka, so a marker 7 days newer than the segment's first batch
// rolls a new segment, and a fetch returns batches of one segment only.
inline std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A batch of `records` records from producer `p`, starting at `base_sequence`, timestamped
// `first_timestamp`, `first_timestamp` + 1, ...
inline base::byte_buffer producer_batch(producer_identity p, std::int32_t base_sequence, int records,
                                        bool transactional, const std::string& prefix = "v",
                                        std::int64_t first_timestamp = wall_clock_ms()) {
  model::record_batch_builder builder;
  builder.set_producer(p.id, p.epoch, base_sequence);
  builder.set_transactional(transactional);
  for (int i = 0; i < records; ++i) {
    const auto value = prefix + std::to_string(i);
    builder.append(first_timestamp + i, std::nullopt,
                   base::byte_span(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
  }
  return builder.build();
}

constexpr std::int8_t read_uncommitted = 0;
constexpr std::int8_t read_committed = 1;

inline protocol::fetch_response::partition_data fetch_isolated(broker& services, const std::string& topic,
                                                               std::int32_t partition, std::int64_t offset,
                                                               std::int8_t isolation, std::int16_t version = 11) {
  auto req = fetch_request_for(topic, partition, offset);
  req.isolation_level = isolation;
  return fetch(services, req, version).responses.at(0).partitions.at(0);
}

// ListOffsets of one partition for `timestamp` (or -1 LATEST, -3 MAX_TIMESTAMP) at `isolation`.
inline protocol::list_offsets_response::list_offsets_partition_response list_offset(
    broker& services, const std::string& topic, std::int32_t partition, std::int64_t timestamp, std::int8_t isolation,
    std::int16_t version = 7) {
  protocol::list_offsets_request req;
  req.replica_id = -1;
  req.isolation_level = isolation;
  auto& t = req.topics.emplace_back();
  t.name = topic;
  auto& p = t.partitions.emplace_back();
  p.partition_index = partition;
  p.timestamp = timestamp;
  return call<protocol::list_offsets_response>(services, req, version).topics.at(0).partitions.at(0);
}

// ListOffsets LATEST at `isolation`: the offset answered.
inline std::int64_t latest_offset(broker& services, const std::string& topic, std::int32_t partition,
                                  std::int8_t isolation, std::int16_t version = 7) {
  const auto out = list_offset(services, topic, partition, -1, isolation, version);
  if (out.error_code != 0) throw std::runtime_error("ListOffsets failed: " + std::to_string(out.error_code));
  return out.offset;
}

// What a test needs to know of each batch in fetched records.
struct fetched_batch {
  std::int64_t base_offset = -1;
  std::int64_t last_offset = -1;
  std::int64_t producer_id = -1;
  bool transactional = false;
  bool control = false;
};

inline std::vector<fetched_batch> batches_of(const std::optional<protocol::records>& records) {
  std::vector<fetched_batch> out;
  if (!records) return out;
  auto split = model::split_batches(base::byte_span(records->data(), records->size()));
  if (!split || split->trailing_bytes != 0) throw std::runtime_error("fetched records do not split into batches");
  for (const auto batch : split->batches) {
    const model::record_batch_view view(batch);
    out.push_back({view.base_offset(), view.last_offset(), view.producer_id(), view.is_transactional(),
                   view.is_control()});
  }
  return out;
}

// The coordinator answers EndTxn once its decision is durable and then writes the markers and
// the completion record on its own (storage's flush threads). Tests wait for the observable
// result: polls `done` until it holds or 10 s passed; true when it held.
template <typename Done>
bool eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Waits until DescribeTransactions reports `state` for `transactional_id`.
inline bool reaches_state(broker& services, const std::string& transactional_id, const std::string& state) {
  return eventually([&] { return describe_transaction(services, transactional_id).transaction_state == state; });
}

}  // namespace spate::broker::testing
