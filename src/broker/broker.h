#pragma once
// The broker's services as handlers see them: its identity and settings, the partition logs, and
// the blocking pool for file work. Thread-safe: the options are immutable; log_manager and
// blocking_pool document their own locking.
#include <cstdint>
#include <string>

#include "io/blocking_pool.h"
#include "storage/log_manager.h"

namespace spate::broker {

struct broker_options {
  std::int32_t node_id = 1;
  std::string advertised_host = "127.0.0.1";
  std::int32_t advertised_port = 9092;
  std::string cluster_id;
  std::int32_t num_partitions = 1;
  bool auto_create_topics = true;
};

class broker {
 public:
  broker(broker_options options, storage::log_manager& logs, io::blocking_pool& pool)
      : options_(std::move(options)), logs_(logs), pool_(pool) {}
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;

  const broker_options& options() const { return options_; }
  storage::log_manager& logs() const { return logs_; }
  io::blocking_pool& pool() const { return pool_; }

  // Kafka's internal topics: shown with is_internal in Metadata, not writable by clients.
  static bool is_internal_topic(std::string_view name) {
    return name == "__consumer_offsets" || name == "__transaction_state";
  }

 private:
  const broker_options options_;
  storage::log_manager& logs_;
  io::blocking_pool& pool_;
};

}  // namespace spate::broker
