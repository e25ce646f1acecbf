#pragma once
// Aborted transactions of one partition (Kafka's TransactionIndex): what a read_committed fetch
// returns so the client drops the aborted records it received.
//
// On disk, one `.txnindex` file per segment, next to its `.log`, holding the transactions whose
// abort marker landed in that segment, in marker order. Kafka's entry format, 34 bytes:
//   version int16 = 0 | producer_id int64 | first_offset int64 | last_offset int64 |
//   last_stable_offset int64
// In memory, partition_log keeps every entry of its segments in one aborted_txn_list (aborts are
// rare; the list is small) and appends to the active segment's file.
#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "storage/errc.h"
#include "storage/producer_state.h"

namespace spate::storage {

inline constexpr std::size_t txn_index_entry_size = 34;

base::byte_buffer encode_txn_index_entry(const aborted_txn& txn);
// Parses a whole `.txnindex` file. A trailing partial entry (a torn write) is ignored; an entry
// of another version gives corrupt_log.
result<std::vector<aborted_txn>> decode_txn_index(base::byte_span bytes);

// Entries ordered by last_offset (the marker's offset). Not thread-safe: the owner serialises.
class aborted_txn_list {
 public:
  // Precondition: txn.last_offset is above every entry's (markers are appended in order);
  // an entry that is not is inserted in place, and one with an existing entry's last_offset (the
  // same marker, replayed) replaces it.
  void add(const aborted_txn& txn);
  // Kafka's collectAbortedTxns: every entry with last_offset >= fetch_offset and
  // first_offset < upper_bound_offset, in marker order.
  std::vector<aborted_txn> collect(std::int64_t fetch_offset, std::int64_t upper_bound_offset) const;
  // Retention: removes entries whose marker is below `offset` (their records are gone too).
  void remove_below(std::int64_t offset);
  // Recovery: removes entries whose marker is at or above `offset` (to be rebuilt by replay).
  void remove_from(std::int64_t offset);
  const std::vector<aborted_txn>& entries() const { return _entries; }
  std::size_t size() const { return _entries.size(); }

 private:
  std::vector<aborted_txn> _entries;
};

}  // namespace spate::storage
