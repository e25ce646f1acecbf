#pragma once
// `__transaction_state` on the broker's storage::log_manager: the real txn::transaction_log, and
// the start-up replay of its records.
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
#include "txn/transaction_log.h"

namespace spate::io {
class clock;
}

namespace spate::txn {

// Kafka's transaction.state.log.segment.bytes default.
inline constexpr std::int32_t transaction_topic_segment_bytes = 104857600;

// Thread-safe (log_manager and partition_log are). Holds a reference to the log_manager, which
// must outlive it; after log_manager::close(), appends fail with errc::shutting_down.
class transaction_topic final : public transaction_log {
 public:
  // Creates the topic when missing, with `partitions` partitions
  // (transaction.state.log.num.partitions) and the configs cleanup.policy=compact and
  // segment.bytes=`segment_bytes` (transaction.state.log.segment.bytes); otherwise uses the existing topic, whose
  // partition count wins (a warning is logged when it differs: placement depends on it, so it must never change under a
  // running broker). Blocking (file creation): call it at start-up, before replay(). `clock`
  // stamps the records' timestamps and must outlive this object.
  static storage::result<std::unique_ptr<transaction_topic>> open(
      storage::log_manager& logs, std::int32_t partitions, io::clock& clock,
      std::int32_t segment_bytes = transaction_topic_segment_bytes);

  std::int32_t partition_count() const override { return _topic.partition_count(); }

  // One batch (storage::internal_topic::append), appended with partition_log::append (a
  // page-cache write, possibly a segment roll) and awaited with partition_log::on_durable. An
  // empty `records` is durable at once. A partition outside [0, partition_count()) or a missing
  // log gives errc::unknown_topic_or_partition; append errors are passed on as they are.
  void append(std::int32_t partition, std::vector<transaction_record> records,
              std::function<void(storage::errc)> done) override;

  // One record met during replay. The spans point into replay()'s buffers and are valid only
  // during the visit.
  struct replayed {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::int64_t timestamp = 0;
    base::byte_span key;                   // decode_key() succeeds on it
    std::optional<base::byte_span> value;  // nullopt: a tombstone
  };

  // Start-up replay: visits every record of every partition, from the log start offset to the
  // high watermark, in offset order, partition 0 first. Blocking (reads files). Records it cannot
  // use are skipped, counted and reported in one warning at the end: a null key, a key that
  // decode_key() rejects, and whole batches that fail their CRC or do not decode. Control batches
  // are skipped silently. Errors: unknown_topic_or_partition when a partition's log is missing,
  // corrupt_log when a read makes no progress, and read errors of the storage layer.
  storage::result<void> replay(const std::function<void(const replayed&)>& visit) const;

 private:
  explicit transaction_topic(storage::internal_topic topic) : _topic(std::move(topic)) {}

  storage::internal_topic _topic;
};

}  // namespace spate::txn
