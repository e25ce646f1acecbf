#pragma once
// Where the transaction coordinator's records go: Kafka's internal topic `__transaction_state`
// (record layouts in transaction_records.h). The coordinator writes through `transaction_log`, so
// that its unit tests can use an in-memory fake; txn::transaction_topic is the real one, on the
// broker's storage::log_manager.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "storage/errc.h"
#include "storage/internal_topic.h"

namespace spate::txn {

// One record to write: encoded key and value (transaction_records.h). nullopt value = tombstone.
using transaction_record = storage::internal_record;

// Implementations are thread-safe.
class transaction_log {
 public:
  virtual ~transaction_log() = default;
  virtual std::int32_t partition_count() const = 0;
  // Writes `records` as ONE record batch (magic 2, uncompressed, every timestamp = now) to
  // `partition`, so they become visible together or not at all, and calls `done` exactly once:
  // errc::success when the batch is durable (below the high watermark), else the error (the batch
  // may or may not be in the log then). `done` may run on any thread, or inline.
  virtual void append(std::int32_t partition, std::vector<transaction_record> records,
                      std::function<void(storage::errc)> done) = 0;
};

}  // namespace spate::txn
