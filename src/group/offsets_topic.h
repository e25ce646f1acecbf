#pragma once
// Where the group coordinator's records go: Kafka's internal topic `__consumer_offsets`
// (record layouts in offsets_records.h). The coordinator writes through `offsets_log`, so that
// its unit tests can use an in-memory fake; `offsets_topic` is the real one, on the broker's
// storage::log_manager.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "storage/errc.h"
#include "storage/internal_topic.h"

namespace spate::io {
class clock;
}

namespace spate::group {

// Kafka's offsets.topic.segment.bytes default.
inline constexpr std::int32_t offsets_topic_segment_bytes = 104857600;

// One record to write: encoded key and value (offsets_records.h). nullopt value = tombstone.
using offsets_record = storage::internal_record;

// The producer of a transactional offset commit (TxnOffsetCommit): its records are written as a
// transactional batch of that producer, which the transaction's marker later commits or aborts.
struct transactional_producer {
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  friend bool operator==(const transactional_producer&, const transactional_producer&) = default;
};

// How an append ended: errc::success and the log offset of the batch's first record (record i is
// at first_offset + i), or the error and -1. The coordinator compares these positions: of two
// commits of one partition, the one whose record is later in the log wins, as on replay.
using append_callback = std::function<void(storage::errc, std::int64_t first_offset)>;

// Where the coordinator's records go. Implementations are thread-safe.
class offsets_log {
 public:
  virtual ~offsets_log() = default;
  virtual std::int32_t partition_count() const = 0;
  // Writes `records` as ONE record batch (magic 2, uncompressed, every timestamp = now) to
  // `partition`, so they become visible together or not at all, and calls `done` exactly once:
  // errc::success when the batch is durable (below the high watermark), else the error (the
  // batch may or may not be in the log then). `done` may run on any thread, or inline.
  // With a `producer`, the batch carries its producer id and epoch, base sequence 0 and the
  // transactional attribute (TxnOffsetCommit).
  virtual void append(std::int32_t partition, std::vector<offsets_record> records,
                      std::optional<transactional_producer> producer, append_callback done) = 0;
};

// `__consumer_offsets` in a log_manager. Thread-safe (log_manager and partition_log are). Holds a
// reference to the log_manager, which must outlive it; after log_manager::close(), appends fail
// with errc::shutting_down.
class offsets_topic final : public offsets_log {
 public:
  // Creates the topic when missing, with `partitions` partitions and the configs
  // cleanup.policy=compact and segment.bytes=`segment_bytes` (offsets.topic.segment.bytes; compaction
  // only cleans closed segments, so this bounds what replay reads beyond the live offsets);
  // otherwise uses the existing topic, whose partition count wins (a warning is logged
  // when it differs from `partitions`: placement depends on it, so it must never change under a
  // running broker). Blocking (file creation): call it at start-up, before replay(). `clock`
  // stamps the records' timestamps and must outlive this object.
  static storage::result<std::unique_ptr<offsets_topic>> open(storage::log_manager& logs, std::int32_t partitions,
                                                              io::clock& clock,
                                                              std::int32_t segment_bytes = offsets_topic_segment_bytes);

  std::int32_t partition_count() const override { return _topic.partition_count(); }

  // storage::internal_topic::append: appended with partition_log::append (a page-cache write,
  // possibly a segment roll: do not call it where blocking briefly on the file system is not
  // acceptable) and awaited with partition_log::on_durable. A transactional batch is appended with
  // storage::append_origin::coordinator (no sequence checks; it opens or continues the producer's
  // transaction in that partition). An empty `records` is durable at once (first offset -1). A
  // partition outside [0, partition_count()) or a missing log gives
  // errc::unknown_topic_or_partition; append errors (message_too_large, invalid_producer_epoch,
  // log_failed, io_error, shutting_down) are passed to `done` as they are.
  void append(std::int32_t partition, std::vector<offsets_record> records,
              std::optional<transactional_producer> producer, append_callback done) override;

  // One record or transaction marker met during replay. The spans point into replay()'s buffers
  // and are valid only during the visit.
  struct replayed {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::int64_t timestamp = 0;
    base::byte_span key;  // a record: decode_key() succeeds on it; a marker: empty
    std::optional<base::byte_span> value;  // nullopt: a tombstone (or a marker)
    // From the record's batch: a transactional offset commit (TxnOffsetCommit), whose outcome a
    // later transaction marker of the same producer in the same partition decides.
    bool transactional = false;
    std::int64_t producer_id = -1;
    // Set on a transaction marker (a control batch's record, Kafka's EndTransactionMarker) of
    // `producer_id`: true = commit, false = abort. Key and value are then empty, so a visitor
    // that only loads records (decode_key fails on an empty key) ignores markers.
    std::optional<bool> marker_commit;
  };

  // Start-up replay: visits every record and every transaction marker of every partition, from
  // the log start offset to the high watermark, in offset order, partition 0 first. Blocking
  // (reads files). Records it cannot use are skipped, counted and reported in one warning at the
  // end: a null key or a key that decode_key() rejects (including other record types, key
  // version 3+), control records that are not well-formed, and whole batches that fail their CRC
  // or do not decode (decompression included). Control records other than transaction markers
  // are skipped silently. Errors: unknown_topic_or_partition when a partition's log is missing,
  // and read errors of the storage layer.
  storage::result<void> replay(const std::function<void(const replayed&)>& visit) const;

 private:
  explicit offsets_topic(storage::internal_topic topic) : _topic(std::move(topic)) {}

  storage::internal_topic _topic;
};

}  // namespace spate::group
