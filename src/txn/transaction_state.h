#pragma once
// What the transaction coordinator knows of one transactional id (Kafka's TransactionMetadata):
// the states of Kafka's TransactionState with their wire ids and names, and the metadata a
// __transaction_state record carries.
//
// Value types and pure functions; no locking (the coordinator guards them with its mutex).
#include <compare>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "model/topic_partition.h"

namespace spate::txn {

// Kafka's TransactionState, with the int8 id stored in TransactionLogValue.transaction_status.
//   empty                no transaction open; InitProducerId handed out the current epoch
//   ongoing              AddPartitionsToTxn/AddOffsetsToTxn added partitions
//   prepare_commit/abort EndTxn (or a timeout/fence abort) decided; markers being written
//   complete_commit/abort every marker written
//   dead                 expired; Kafka never writes it (a tombstone removes the id instead)
//   prepare_epoch_fence  transient in Kafka's memory before an abort with a bumped epoch; never
//                        written either
enum class transaction_status : std::int8_t {
  empty = 0,
  ongoing = 1,
  prepare_commit = 2,
  prepare_abort = 3,
  complete_commit = 4,
  complete_abort = 5,
  dead = 6,
  prepare_epoch_fence = 7,
};

// "Empty", "Ongoing", "PrepareCommit", ... as DescribeTransactions and ListTransactions spell them.
std::string_view status_name(transaction_status s);
// The inverse of status_name (exact, case-sensitive, as Kafka's TransactionState.fromName).
std::optional<transaction_status> status_from_name(std::string_view name);
// The state of a record's transaction_status byte; nullopt for an id Kafka does not define.
std::optional<transaction_status> status_from_id(std::int8_t id);

inline bool is_prepare(transaction_status s) {
  return s == transaction_status::prepare_commit || s == transaction_status::prepare_abort;
}
inline bool is_complete(transaction_status s) {
  return s == transaction_status::complete_commit || s == transaction_status::complete_abort;
}

using model::topic_partition;

// Kafka's RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH.
inline constexpr std::int64_t no_producer_id = -1;
inline constexpr std::int16_t no_producer_epoch = -1;

// Kafka's TransactionMetadata.isEpochExhausted: epochs from 32766 on are never handed to a client,
// so that the coordinator can always fence one more time (up to 32767) without overflowing.
inline bool is_epoch_exhausted(std::int16_t epoch) { return epoch >= 32766; }

// A transactional id's state as its latest durable record says (plus two fields Kafka keeps in
// memory only at record version 0: last_producer_id and last_producer_epoch, which let a KIP-360
// retry of a bump that already happened get the same answer).
struct transaction_metadata {
  std::int64_t producer_id = no_producer_id;
  std::int64_t last_producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  std::int16_t last_producer_epoch = no_producer_epoch;
  std::int32_t timeout_ms = 0;
  transaction_status status = transaction_status::empty;
  std::set<topic_partition> partitions;  // empty unless ongoing or prepare_*
  std::int64_t start_timestamp_ms = -1;  // when the first partition was added; -1 when empty
  std::int64_t last_update_timestamp_ms = -1;
  friend bool operator==(const transaction_metadata&, const transaction_metadata&) = default;
};

}  // namespace spate::txn
