#pragma once
// The records of Kafka's internal topic `__transaction_state`, as Kafka lays them out. The field
// layouts are the generated types of src/protocol/schemas/transaction_log_{key,value}.schema
// (Kafka's TransactionLogKey / TransactionLogValue).
//
// A record key is an int16 version followed by the key struct at that version:
//   0     TransactionLogKey  transactional_id string
//   1+    not a transaction record (Kafka's readTxnRecordKey rejects it): skipped
// A record value is an int16 version followed by the value struct at that version; a null value
// is a tombstone (the transactional id expired):
//   0     producer_id int64, producer_epoch int16, transaction_timeout_ms int32,
//         transaction_status int8, transaction_partitions nullable [topic string,
//         partition_ids [int32]], transaction_last_update_timestamp_ms int64,
//         transaction_start_timestamp_ms int64                      (what Kafka 3.x writes)
//   1     the same, flexible (compact lengths, tagged fields), adding the tagged fields
//         previous_producer_id (tag 0), next_producer_id (tag 1), client_transaction_version
//         (tag 2)                                     (Kafka 4 with transaction.version >= 1)
// transaction_partitions is null for Empty (Kafka refuses to write an Empty state with partitions)
// and holds one entry per topic otherwise.
//
// Decoding never throws and never reads past its input: malformed bytes (truncated, bad lengths,
// trailing bytes after the struct), unknown versions and unknown status ids give nullopt.
// Encoding throws protocol::encode_error only when a string is longer than
// `max_record_string_bytes` (version 0 strings have int16 lengths); the coordinator refuses
// longer transactional ids before it gets here.
//
// Pure functions, thread-safe.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "txn/transaction_state.h"

namespace spate::txn {

// The longest string a version-0 record can hold.
inline constexpr std::size_t max_record_string_bytes = 32767;

inline constexpr std::int16_t transaction_key_version = 0;
// What we write: version 0, as Kafka does until transaction.version 1 is enabled.
inline constexpr std::int16_t transaction_value_version = 0;

struct transaction_value {
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  std::int32_t timeout_ms = 0;
  transaction_status status = transaction_status::empty;
  std::set<topic_partition> partitions;
  std::int64_t last_update_timestamp_ms = -1;
  std::int64_t start_timestamp_ms = -1;
  // Version 1's tagged fields (defaults when read from version 0; not written at version 0).
  std::int64_t previous_producer_id = no_producer_id;
  std::int64_t next_producer_id = no_producer_id;
  std::int16_t client_transaction_version = 0;
  friend bool operator==(const transaction_value&, const transaction_value&) = default;
};

base::byte_buffer encode_key(std::string_view transactional_id);
// `version` 0 (the default, what the coordinator writes) or 1. At version 0 the tagged fields are
// dropped. Precondition (asserted): status empty implies no partitions.
base::byte_buffer encode_value(const transaction_value& value,
                               std::int16_t version = transaction_value_version);

// The transactional id of a version-0 key; nullopt for other versions or malformed bytes.
std::optional<std::string> decode_key(base::byte_span bytes);
// Versions 0 and 1; nullopt for other versions, malformed bytes or an unknown status id. A null
// transaction_partitions reads as no partitions.
std::optional<transaction_value> decode_value(base::byte_span bytes);

// Kafka's placement of a transactional id on __transaction_state
// (protocol/coordinator_placement.h). Precondition (asserted): partition_count > 0.
std::int32_t partition_for_transactional_id(std::string_view transactional_id,
                                            std::int32_t partition_count);

}  // namespace spate::txn
