#pragma once
// What the coordinators' internal topics (group/offsets_topic: __consumer_offsets,
// txn/transaction_topic: __transaction_state) share on top of the log_manager: create-or-open with
// a fixed partition count, appending one batch of key/value records and waiting until it is
// durable, and the start-up replay of every partition that skips what it cannot read. What the
// records mean stays with the coordinators.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "storage/errc.h"

namespace spate::io {
class clock;
}
namespace spate::model {
class record_batch_view;
struct record;
}  // namespace spate::model

namespace spate::storage {

class log_manager;
class partition_log;

// One record to write: key and value. nullopt value = tombstone.
struct internal_record {
  base::byte_buffer key;
  std::optional<base::byte_buffer> value;
};

// The producer of a transactional batch a coordinator writes itself (TxnOffsetCommit).
struct internal_producer {
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
};

// Thread-safe (log_manager and partition_log are). Holds references to the log_manager and the
// clock, which must outlive it; after log_manager::close(), appends fail with errc::shutting_down.
class internal_topic {
 public:
  struct options {
    std::string name;
    // Starts the topic's log events: <prefix>_topic_partition_mismatch,
    // <prefix>_replay_stuck, <prefix>_replay_skipped.
    std::string event_prefix;
    std::int32_t partitions = 1;  // when created; an existing topic keeps its own count
    // When created. A storage::config_overrides (log_config.h), spelled out to keep this header light.
    std::map<std::string, std::string> configs;
  };

  // Creates the topic when missing, with options.partitions partitions and options.configs;
  // otherwise uses the existing topic, whose partition count wins (a warning is logged when it
  // differs: placement depends on it, so it must never change under a running broker). Blocking
  // (file creation): call it at start-up. `clock` stamps the records' timestamps.
  static result<internal_topic> open(log_manager& logs, options opts, io::clock& clock);

  std::int32_t partition_count() const { return _partitions; }
  const std::string& name() const { return _name; }

  // How an append ended: errc::success and the log offset of the batch's first record (record i
  // is at first_offset + i), or the error and -1.
  using append_callback = std::function<void(errc, std::int64_t first_offset)>;

  // Writes `records` as ONE batch (magic 2, uncompressed, every timestamp = now) to `partition`
  // with partition_log::append (a page-cache write, possibly a segment roll: do not call it where
  // blocking briefly on the file system is not acceptable) and calls `done` exactly once, after
  // partition_log::on_durable (on any thread, or inline). With a `producer` the batch carries its
  // producer id and epoch, base sequence 0 and the transactional attribute, and is appended with
  // append_origin::coordinator (no sequence checks). An empty `records` is durable at once (first
  // offset -1). A partition outside [0, partition_count()) or a missing log gives
  // errc::unknown_topic_or_partition; append errors are passed to `done` as they are.
  void append(std::int32_t partition, std::span<const internal_record> records,
              std::optional<internal_producer> producer, append_callback done) const;

  // Whether replay() hands the records of control batches to its visitor or skips those batches
  // without decoding them.
  enum class control_batches : std::uint8_t { skip, visit };
  // One record of `batch` in `partition`; answers false when the record is unusable, which
  // replay() counts as skipped. The record and batch are valid only during the call.
  using record_visitor = std::function<bool(std::int32_t partition, const model::record_batch_view& batch,
                                            const model::record& rec)>;

  // Start-up replay: visits every record of every partition from the log start offset to the high
  // watermark, in offset order, partition 0 first. Blocking (reads files). Whole batches that fail
  // their CRC, cannot be framed or do not decode (decompression included) are skipped; they and
  // the records the visitor rejects are counted and reported in one warning at the end. Errors:
  // unknown_topic_or_partition when a partition's log is missing, corrupt_log when a read makes
  // no progress, and read errors of the storage layer.
  result<void> replay(control_batches control, const record_visitor& visit) const;

 private:
  struct skipped;
  internal_topic(log_manager& logs, std::string name, std::string event_prefix, std::int32_t partitions,
                 io::clock& clock);
  result<void> replay_partition(std::int32_t partition, const partition_log& log, control_batches control,
                                const record_visitor& visit, skipped& skips) const;

  log_manager& _logs;
  std::string _name;
  std::string _event_prefix;
  std::int32_t _partitions;
  io::clock& _clock;
};

}  // namespace spate::storage
