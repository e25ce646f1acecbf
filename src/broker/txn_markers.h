#pragma once
// The broker's side of ending a transaction: writes the coordinator's COMMIT/ABORT markers into
// the partitions' logs (what Kafka's WriteTxnMarkers does on the partition leaders), wakes the
// fetches parked on them (a marker moves the last stable offset), and, for __consumer_offsets
// partitions, tells the group coordinator to settle the transaction's pending offsets once the
// marker is durable (Kafka's handleTxnCompletion).
#include <memory>

#include "broker/partition_waiters.h"
#include "group/coordinator.h"
#include "storage/log_manager.h"
#include "txn/marker_writer.h"

namespace spate::broker {

class txn_markers final : public txn::marker_writer {
 public:
  txn_markers(storage::log_manager& logs, group::coordinator& groups, std::shared_ptr<partition_waiters> waiters)
      : _logs(logs), _groups(groups), _waiters(std::move(waiters)) {}

  // Appends each marker (a page-cache write) on the calling thread and reports once every one is
  // durable or failed.
  void write_markers(std::int64_t producer_id, std::int16_t producer_epoch, std::int32_t coordinator_epoch,
                     bool commit, std::vector<txn::topic_partition> partitions,
                     std::function<void(std::vector<storage::errc>)> done) override;

 private:
  storage::log_manager& _logs;
  group::coordinator& _groups;
  std::shared_ptr<partition_waiters> _waiters;
};

}  // namespace spate::broker
