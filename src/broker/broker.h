#pragma once
// The broker's services as handlers see them: its identity and settings, the partition logs, and
// the blocking pool for file work, the group and transaction coordinators. Thread-safe: the
// options are immutable; log_manager, blocking_pool and the coordinators document their own
// locking.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/fetch_sessions.h"
#include "broker/partition_waiters.h"
#include "group/coordinator.h"
#include "io/blocking_pool.h"
#include "storage/log_manager.h"

namespace spate::txn {
class transaction_coordinator;
}

namespace spate::broker {

// One broker-level setting as DescribeConfigs reports it: Kafka's name, the effective value as
// text, and whether it is the built-in default (else the operator set it: STATIC_BROKER_CONFIG).
struct broker_setting {
  std::string name;
  std::string value;
  bool is_default = true;
};

struct broker_options {
  std::int32_t node_id = 1;
  std::string advertised_host = "127.0.0.1";
  std::int32_t advertised_port = 9092;
  std::string cluster_id;
  std::int32_t num_partitions = 1;
  bool auto_create_topics = true;
  // Settings not in the fields above nor in storage's log defaults (listeners, log.dirs, ...), for
  // DescribeConfigs on this broker.
  std::vector<broker_setting> settings;
};

class broker {
 public:
  // `waiters` is shared with whoever else appends (the transaction markers).
  broker(broker_options options, storage::log_manager& logs, io::blocking_pool& pool, group::coordinator& groups,
         txn::transaction_coordinator& transactions, std::shared_ptr<partition_waiters> waiters)
      : options_(std::move(options)),
        logs_(logs),
        pool_(pool),
        groups_(groups),
        transactions_(transactions),
        waiters_(std::move(waiters)) {}
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;

  const broker_options& options() const { return options_; }
  storage::log_manager& logs() const { return logs_; }
  io::blocking_pool& pool() const { return pool_; }
  // Consumer groups and their committed offsets.
  group::coordinator& groups() const { return groups_; }
  // Producer ids and transactions.
  txn::transaction_coordinator& transactions() const { return transactions_; }
  // Fetches parked in a long poll; appends wake them. Shared: durability callbacks hold it and may
  // run after their request is gone.
  const std::shared_ptr<partition_waiters>& waiters() const { return waiters_; }
  // Incremental fetch sessions (KIP-227).
  fetch_session_cache& fetch_sessions() { return fetch_sessions_; }

  // Kafka's internal topics: shown with is_internal in Metadata, not writable by clients.
  static bool is_internal_topic(std::string_view name) {
    return name == "__consumer_offsets" || name == "__transaction_state";
  }

 private:
  const broker_options options_;
  storage::log_manager& logs_;
  io::blocking_pool& pool_;
  group::coordinator& groups_;
  txn::transaction_coordinator& transactions_;
  const std::shared_ptr<partition_waiters> waiters_;
  fetch_session_cache fetch_sessions_;
};

}  // namespace spate::broker
