#include "txn/transaction_records.h"

#include <vector>

#include "base/assert.h"
#include "protocol/coordinator_placement.h"
#include "protocol/messages/transaction_log_key.h"
#include "protocol/messages/transaction_log_value.h"
#include "protocol/versioned_record.h"

namespace spate::txn {

base::byte_buffer encode_key(std::string_view transactional_id) {
  protocol::transaction_log_key k;
  k.transactional_id = std::string(transactional_id);
  return protocol::encode_versioned(k, transaction_key_version);
}

base::byte_buffer encode_value(const transaction_value& value, std::int16_t version) {
  // Invariant: Kafka's TransactionLog.valueToBytes refuses an Empty state with partitions.
  SPATE_ASSERT(value.status != transaction_status::empty || value.partitions.empty(),
               "an Empty transaction state has no partitions");
  protocol::transaction_log_value v;
  v.producer_id = value.producer_id;
  v.producer_epoch = value.producer_epoch;
  v.transaction_timeout_ms = value.timeout_ms;
  v.transaction_status = static_cast<std::int8_t>(value.status);
  if (value.status == transaction_status::empty) {
    v.transaction_partitions.reset();
  } else {
    // One entry per topic, partitions ascending (the set is ordered by topic, then partition).
    std::vector<protocol::transaction_log_value::partitions_schema> topics;
    for (const auto& tp : value.partitions) {
      if (topics.empty() || topics.back().topic != tp.topic) {
        auto& t = topics.emplace_back();
        t.topic = tp.topic;
      }
      topics.back().partition_ids.push_back(tp.partition);
    }
    v.transaction_partitions = std::move(topics);
  }
  v.transaction_last_update_timestamp_ms = value.last_update_timestamp_ms;
  v.transaction_start_timestamp_ms = value.start_timestamp_ms;
  if (version >= 1) {
    v.previous_producer_id = value.previous_producer_id;
    v.next_producer_id = value.next_producer_id;
    v.client_transaction_version = value.client_transaction_version;
  }
  return protocol::encode_versioned(v, version);
}

std::optional<std::string> decode_key(base::byte_span bytes) {
  const auto version = protocol::read_version(bytes);
  if (!version || *version != transaction_key_version) return std::nullopt;
  auto k = protocol::decode_versioned<protocol::transaction_log_key>(bytes, *version);
  if (!k) return std::nullopt;
  return std::move(k->transactional_id);
}

std::optional<transaction_value> decode_value(base::byte_span bytes) {
  const auto version = protocol::read_version(bytes);
  if (!version) return std::nullopt;
  auto v = protocol::decode_versioned<protocol::transaction_log_value>(bytes, *version);
  if (!v) return std::nullopt;
  const auto status = status_from_id(v->transaction_status);
  if (!status) return std::nullopt;
  transaction_value out;
  out.producer_id = v->producer_id;
  out.producer_epoch = v->producer_epoch;
  out.timeout_ms = v->transaction_timeout_ms;
  out.status = *status;
  if (v->transaction_partitions) {
    for (const auto& t : *v->transaction_partitions) {
      for (const auto p : t.partition_ids) out.partitions.insert({t.topic, p});
    }
  }
  out.last_update_timestamp_ms = v->transaction_last_update_timestamp_ms;
  out.start_timestamp_ms = v->transaction_start_timestamp_ms;
  out.previous_producer_id = v->previous_producer_id;
  out.next_producer_id = v->next_producer_id;
  out.client_transaction_version = v->client_transaction_version;
  return out;
}

std::int32_t partition_for_transactional_id(std::string_view transactional_id,
                                            std::int32_t partition_count) {
  return protocol::coordinator_partition(transactional_id, partition_count);
}

}  // namespace spate::txn
