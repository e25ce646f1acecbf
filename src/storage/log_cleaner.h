#pragma once
// The log cleaner (compaction), Kafka's LogCleaner: keeps the latest record of every key of a
// `cleanup.policy=compact` log. docs/architecture.md ("Log cleaner") has the design; the pieces:
//   - partition_log::cleanable() says how dirty a log is and whether it is due;
//   - partition_log::clean() cleans it once (cleaning.h: the offset map and the rewrite;
//     partition_log_compaction.cc: the crash-safe swap and finishing an interrupted one at open);
//   - log_manager::clean_next() picks the dirtiest due log and remembers progress in
//     `cleaner-offset-checkpoint`.
//
// Vocabulary (Kafka's): the log from its start to the "first dirty offset" was cleaned before;
// the dirty part runs to the "first uncleanable offset": the base of the first segment that is
// active, holds an offset at or above the last stable offset, the high watermark or the recovery
// point, or has a batch younger than min.compaction.lag.ms (by batch max timestamp). Only whole
// closed segments are cleaned. Dirty ratio = dirty bytes / (clean + dirty bytes), counting the
// segments overlapping each part, as Kafka does.
//
// The rules a cleaning applies to each batch from the log start to the end of the mapped range:
//   - a record is kept when its key is not in the offset map or its offset >= the map's offset for
//     the key; records without a key are removed (Kafka's rule); offsets never change (gaps);
//   - records of aborted transactions are removed;
//   - tombstones (null value) and transaction markers use Kafka's delete horizon (KIP-534): the
//     first cleaning that keeps a batch holding a tombstone, or a marker whose transaction has no
//     batch left, rewrites it with baseTimestamp = cleaning time + delete.retention.ms and the
//     delete-horizon attribute; a later cleaning at or after that horizon removes them. Only
//     batches wholly below the end of the mapped range are considered (beyond it a tombstone may
//     still hide an older value the map does not know);
//   - the last data batch of every producer in the producer state is kept, emptied of its records
//     if need be (header, producer id, epoch, base sequence and lastOffsetDelta intact), and so is
//     a marker after it, so replay after a restart still knows the producer's sequence and epoch;
//     a marker is also kept while any batch of its transaction is;
//   - the last batch of each output segment's input is kept (at least as an empty batch), so an
//     output segment spans exactly the offsets of the segments it replaces (finishing an
//     interrupted swap at open relies on it);
//   - a batch that loses no record and needs no horizon is copied byte for byte; one that does is
//     rebuilt with the same codec, producer fields, attributes and timestamp type.
#include <cstdint>
#include <string>

namespace spate::storage {

// The cleaner's broker settings (Kafka's log.cleaner.*).
struct cleaner_settings {
  // log.cleaner.dedupe.buffer.size divided among the cleaner threads: the offset map's memory
  // (24 bytes per key).
  std::size_t dedupe_buffer_size = 128ULL << 20;
  // Largest decompressed records section the cleaner decodes (a larger batch fails the round).
  std::size_t max_batch_uncompressed = 256ULL << 20;
};

// What one cleaning did.
struct cleaning_stats {
  std::string topic;
  std::int32_t partition = 0;
  double dirty_ratio = 0;               // before the cleaning
  std::int64_t first_offset = 0;        // the rewritten range: [first_offset, end_offset)
  std::int64_t first_dirty_offset = 0;  // where the dirty part started
  std::int64_t end_offset = 0;          // the next first dirty offset
  std::uint64_t bytes_read = 0;         // both passes
  std::uint64_t bytes_written = 0;
  std::uint64_t records_read = 0;  // by the rewrite
  std::uint64_t records_removed = 0;
  std::size_t segments_in = 0;
  std::size_t segments_out = 0;
  std::int64_t duration_ms = 0;
  std::int64_t throttled_ms = 0;  // slept in the io throttle
};

// How dirty a log is (partition_log::cleanable()).
struct cleanable_summary {
  bool compact = false;  // cleanup.policy includes compact
  std::int64_t first_dirty_offset = 0;
  std::int64_t first_uncleanable_offset = 0;
  std::uint64_t clean_bytes = 0;
  std::uint64_t dirty_bytes = 0;
  double dirty_ratio = 0;
  // compact, dirty_bytes > 0, and dirty_ratio >= min.cleanable.dirty.ratio or the first dirty
  // segment is older than max.compaction.lag.ms (by its first batch's timestamp).
  bool due = false;
};

// The cleaner's view of one log, for status and metrics (log_manager::cleaner_states()).
struct cleaner_log_state {
  std::string topic;
  std::int32_t partition = 0;
  double dirty_ratio = 0;
  std::int64_t first_dirty_offset = 0;  // cleaned below it
  std::int64_t last_cleaning_ms = -1;   // wall clock at the end of the last cleaning; -1: never
  std::uint64_t cleanings = 0;
  std::uint64_t bytes_read = 0;  // totals since the broker started
  std::uint64_t bytes_written = 0;
  std::uint64_t records_removed = 0;
  std::int64_t last_duration_ms = 0;
  bool in_progress = false;
  bool uncleanable = false;  // a cleaning failed; skipped until the broker restarts
};

}  // namespace spate::storage
