#pragma once
// The producer state of one partition (Kafka's ProducerStateManager): for every producer id that
// wrote to the partition, its epoch, the metadata of its last five batches (so a retried batch
// is recognised and answered with its original offsets), and its open transaction. Transactions
// still open bound the last stable offset (LSO); read_committed consumers read below it.
//
// partition_log owns one table, checks and updates it under its write lock (so a check and the
// append it allows are one step), snapshots it to `<offset>.snapshot` on segment rolls and clean
// close, and after a restart rebuilds it from the latest snapshot plus the batches after it.
//
// Snapshot files use Kafka's format (ProducerStateManager, version 1), so Kafka's tools read them:
//   version int16 = 1 | crc uint32 (CRC-32C of every byte after this field) |
//   entries int32 count, each: producer_id int64 | epoch int16 | last_sequence int32 |
//     last_offset int64 | offset_delta int32 | timestamp int64 | coordinator_epoch int32 |
//     current_txn_first_offset int64 (-1: none)
// Kafka writes one entry per producer (its last batch). We write one entry per remembered batch,
// oldest first (up to five per producer); Kafka's reader keeps the last entry of a producer, which
// is the newest batch, and ours keeps them all, so deduplication survives a restart.
// A batch's first offset and first sequence are last - offset_delta (sequences wrap at INT32_MAX);
// timestamp is its max timestamp. A producer without remembered batches is one entry with
// last_sequence -1, last_offset -1, offset_delta 0 and timestamp last_update_ms.
//
// Not thread-safe: the owner serialises access.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "model/record_batch.h"
#include "storage/errc.h"

namespace spate::storage {

// Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: producers have at most five requests in
// flight per connection, so five batches cover every retry.
inline constexpr std::size_t producer_batches_kept = 5;

// What the log remembers of one appended batch of a producer.
struct producer_batch {
  std::int32_t first_sequence = -1;
  std::int32_t last_sequence = -1;
  std::int64_t first_offset = -1;  // the batch's base offset as stored
  std::int64_t last_offset = -1;
  std::int64_t timestamp = -1;  // the batch's max timestamp
  friend bool operator==(const producer_batch&, const producer_batch&) = default;
};

struct producer_entry {
  std::int64_t producer_id = -1;
  std::int16_t epoch = model::no_producer_epoch;
  std::int32_t coordinator_epoch = -1;
  // Oldest first, at most producer_batches_kept, all of `epoch`. A marker keeps them (sequences
  // continue across transactions of one epoch); an epoch change empties them.
  std::deque<producer_batch> batches;
  std::int64_t current_txn_first_offset = -1;  // -1: no open transaction
  std::int64_t last_update_ms = -1;  // wall clock of the last batch or marker: expiry
};

// A transaction that a marker ended.
struct completed_txn {
  std::int64_t producer_id = -1;
  std::int64_t first_offset = -1;  // of its first batch in this partition
  std::int64_t last_offset = -1;   // of the marker
  bool aborted = false;
  friend bool operator==(const completed_txn&, const completed_txn&) = default;
};

// An aborted transaction as read_committed fetches report it and `.txnindex` stores it.
// last_stable_offset: the partition's LSO right after the abort (transaction_index.h uses it to
// stop searching).
struct aborted_txn {
  std::int64_t producer_id = -1;
  std::int64_t first_offset = -1;
  std::int64_t last_offset = -1;
  std::int64_t last_stable_offset = -1;
  friend bool operator==(const aborted_txn&, const aborted_txn&) = default;
};

// The verdict on an incoming batch.
struct batch_check {
  enum class outcome { append, duplicate, reject };
  outcome result = outcome::append;
  errc error = errc::success;  // reject: out_of_order_sequence, invalid_producer_epoch, invalid_txn_state
  producer_batch original;     // duplicate: the batch already in the log
};

class producer_state_table {
 public:
  // Checks a batch from a client (Kafka's analyzeAndValidateProducerState + checkSequence), for
  // a batch with a producer id (batches without one always append):
  //   same epoch and the same first/last sequence as a remembered batch ....... duplicate
  //   epoch below the producer's current epoch ......................... invalid_producer_epoch
  //   epoch above the current one (a bumped producer) and first sequence != 0 out_of_order_sequence
  //   same epoch, first sequence not last_sequence + 1 (int32 wrap-around: INT32_MAX -> 0; a
  //     producer with no remembered batch, e.g. after an epoch bump by a marker, starts at 0)
  //                                                                    ...... out_of_order_sequence
  //   a producer the table does not know (never wrote here, expired, or its batches removed by
  //     retention/DeleteRecords): any sequence is accepted, as Kafka does since KIP-360
  //   a non-transactional batch while the producer has a transaction open ..... invalid_txn_state
  // Control batches never come from clients (the broker refuses them before). Changes nothing.
  batch_check check(const model::batch_header& batch) const;

  // Records a batch now in the log (offsets assigned; its producer id >= 0): the epoch (a higher
  // one resets the remembered batches), the batch (dropping the oldest beyond five), and, for a
  // transactional batch of a producer with no open transaction, the transaction's first offset.
  // Used for every appended batch — client, coordinator and replay alike — without checks.
  // Ignores batches without a producer id and control batches (markers go to record_marker).
  void record_batch(const model::batch_header& batch, std::int64_t now_ms);

  // Checks a transaction marker about to be written: invalid_producer_epoch when `epoch` is below
  // the producer's current epoch (Kafka's TransactionCoordinatorFenced/ProducerFenced on the
  // marker path); otherwise success (a marker for a producer without an open transaction is
  // allowed and ends nothing).
  errc check_marker(std::int64_t producer_id, std::int16_t epoch) const;
  // Records a marker written at `marker_offset` (Kafka's appendEndTxnMarker): sets the epoch (a
  // different one empties the remembered batches, as record_batch does) and the coordinator
  // epoch, closes the producer's transaction and returns it, if one was open. Replay and
  // coordinator alike; a producer the table does not know gets an entry without batches.
  std::optional<completed_txn> record_marker(std::int64_t producer_id, std::int16_t epoch,
                                             std::int32_t coordinator_epoch, bool commit,
                                             std::int64_t marker_offset, std::int64_t now_ms);

  // The first offset of the oldest open transaction; nullopt when none is open. The LSO is
  // min(this, high watermark).
  std::optional<std::int64_t> first_unstable_offset() const;
  // Kafka's lastStableOffset(completedTxn): the first offset of the oldest transaction still open
  // other than `txn`'s, else txn.last_offset + 1. Call before record_marker for the same txn.
  std::int64_t last_stable_offset_after(const completed_txn& txn) const;

  // Removes producers idle (last_update_ms) for `expiration_ms` or more that have no open
  // transaction (Kafka's producer.id.expiration.ms, same >= rule). Returns how many were removed.
  std::size_t expire(std::int64_t now_ms, std::int64_t expiration_ms);

  // The log start offset moved (retention, DeleteRecords): forgets producers whose newest batch
  // is below it, or who have none (Kafka's evictUnretainedProducers), except producers with an
  // open transaction, which still bound the LSO. Returns how many were removed.
  std::size_t remove_below(std::int64_t log_start_offset);

  // Forgets every producer (a log truncated to empty; tests).
  void clear();

  const producer_entry* find(std::int64_t producer_id) const;
  std::vector<producer_entry> entries() const;  // ordered by producer id
  std::size_t size() const { return _producers.size(); }

  // Snapshot file contents in the format above.
  base::byte_buffer encode_snapshot() const;
  // Parses a snapshot; corrupt_log when it is truncated, of another version, has trailing bytes,
  // fails its CRC or holds impossible values (a negative offset delta or sequence on a batch, two
  // producers claiming one transaction). Rebuilds the open transactions from
  // current_txn_first_offset. The file holds no idle time, so every producer gets
  // last_update_ms = now_ms: expiry counts from the load (Kafka uses the batch timestamps).
  static result<producer_state_table> decode_snapshot(base::byte_span bytes, std::int64_t now_ms);

 private:
  std::unordered_map<std::int64_t, producer_entry> _producers;
  // Open transactions: first offset -> producer id.
  std::map<std::int64_t, std::int64_t> _open_txns;
};

}  // namespace spate::storage
