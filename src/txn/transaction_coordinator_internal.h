#pragma once
// Private to transaction_coordinator*.cc: the per-id entry and the collected effects.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "txn/transaction_coordinator.h"
#include "txn/transaction_log.h"

namespace spate::txn {

struct transaction_coordinator::entry {
  std::string id;
  // The state as of the last durable record (Kafka's TransactionMetadata).
  transaction_metadata meta;
  // False until the first record of a new id is durable: such an entry only reserves the id.
  bool durable = false;
  // A record for this target state is being appended (Kafka's pendingState); other changes wait.
  std::optional<transaction_status> pending;
  // An epoch fence whose PrepareAbort record failed: the epoch was bumped in memory but never
  // reached the log or a client, so the next fence does not bump it again (Kafka's
  // hasFailedEpochFence).
  bool failed_epoch_fence = false;
  // While prepare_*: the partitions still without their marker, and whether a write is under way.
  std::set<topic_partition> markers_left;
  bool markers_in_flight = false;
  // When failed markers or a failed completion record are tried again; -1: nothing scheduled.
  std::int64_t retry_at = -1;
};

// What an operation decided under the lock and must do after releasing it.
struct transaction_coordinator::effects {
  struct append {
    std::int32_t partition;
    std::vector<transaction_record> records;
    std::function<void(storage::errc, effects&)> then;  // runs under the lock once completed
  };
  struct marker_write {
    std::string transactional_id;
    std::int64_t producer_id;
    std::int16_t producer_epoch;
    bool commit;
    std::vector<topic_partition> partitions;
  };
  std::vector<append> appends;
  std::vector<std::function<void()>> answers;
  std::vector<marker_write> marker_writes;
  bool new_deadline = false;
};

}  // namespace spate::txn
