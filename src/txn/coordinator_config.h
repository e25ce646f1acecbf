#pragma once
// The transaction coordinator's settings, under Kafka's broker config names where Kafka has one.
#include <cstdint>

namespace spate::txn {

struct coordinator_config {
  std::int32_t transaction_max_timeout_ms = 900000;             // transaction.max.timeout.ms
  std::int64_t transactional_id_expiration_ms = 604800000;      // transactional.id.expiration.ms
  // transaction.remove.expired.transaction.cleanup.interval.ms: how often idle ids are looked for.
  std::int64_t expired_id_check_interval_ms = 3600000;
  std::int32_t log_partitions = 50;                             // transaction.state.log.num.partitions
  // How long to wait before writing markers again to partitions that failed, and before
  // appending a CompleteCommit/CompleteAbort record again after it failed. Kafka retries markers
  // on its send thread's next round; this is our equivalent, not a Kafka config.
  std::int64_t marker_retry_backoff_ms = 100;
  // The coordinator epoch stamped in markers: Kafka uses the leader epoch of the id's
  // __transaction_state partition; one broker never changes leadership, so a constant.
  std::int32_t coordinator_epoch = 0;
};

}  // namespace spate::txn
