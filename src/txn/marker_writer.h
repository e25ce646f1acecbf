#pragma once
// How the transaction coordinator ends a transaction on the partitions it touched: by writing a
// COMMIT or ABORT transaction marker (a control batch, Kafka's EndTransactionMarker) to each of
// them. Kafka's coordinator sends WriteTxnMarkers requests to the partition leaders; on one broker
// the broker implements this interface by appending the control batches itself
// (storage::partition_log::append_marker) and awaiting their durability.
#include <cstdint>
#include <functional>
#include <vector>

#include "storage/errc.h"
#include "txn/transaction_state.h"

namespace spate::txn {

// Implementations are thread-safe.
class marker_writer {
 public:
  virtual ~marker_writer() = default;
  // Writes one marker for (`producer_id`, `producer_epoch`, `coordinator_epoch`, commit or abort)
  // to every partition of `partitions` and calls `done` exactly once, with one outcome per
  // partition in the same order, when every marker is durable or has failed. `done` may run on
  // any thread, or inline. What the coordinator does with each outcome:
  //   success                     the partition is done
  //   unknown_topic_or_partition  the partition is gone (its topic was deleted): dropped
  //   invalid_producer_epoch      the partition already has a newer epoch of this producer, which
  //                               only a later marker of this coordinator can have written: the
  //                               transaction is settled there; dropped with a warning
  //   anything else               retried after coordinator_config::marker_retry_backoff_ms,
  //                               for as long as it takes
  virtual void write_markers(std::int64_t producer_id, std::int16_t producer_epoch,
                             std::int32_t coordinator_epoch, bool commit,
                             std::vector<topic_partition> partitions,
                             std::function<void(std::vector<storage::errc>)> done) = 0;
};

}  // namespace spate::txn
