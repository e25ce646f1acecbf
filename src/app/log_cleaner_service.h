#pragma once
// The log cleaner's threads: `log.cleaner.threads` loops on a pool of their own (never an event
// loop, never the storage pool whose fsyncs acks wait for), each asking the log manager for the
// dirtiest partition due and cleaning it, sleeping `log.cleaner.backoff.ms` when none is due.
// Kafka's LogCleaner threads, with the choice of log made by storage (log_manager::clean_next).
// One log line per cleaning; totals for /metrics and /v1/status.
//
// Thread-safety: all methods are thread-safe. Destroy it before the log manager closes: the
// destructor stops the loops after the cleaning in progress, if any, and joins them.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "app/config.h"
#include "io/blocking_pool.h"
#include "storage/io_throttle.h"
#include "storage/log_cleaner.h"
#include "storage/log_manager.h"

namespace spate::app {

class log_cleaner_service {
 public:
  log_cleaner_service(storage::log_manager& logs, const broker_config::cleaner_settings& settings);
  ~log_cleaner_service();
  log_cleaner_service(const log_cleaner_service&) = delete;
  log_cleaner_service& operator=(const log_cleaner_service&) = delete;

  struct totals {
    std::uint64_t cleanings = 0;
    std::uint64_t bytes_read = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t records_removed = 0;
    double seconds = 0;
    std::uint64_t failures = 0;
  };
  totals snapshot() const;
  // /v1/status's "cleaner" block: settings, totals, the most recent cleanings and every compacted
  // partition's dirty ratio and progress.
  nlohmann::json status() const;
  const storage::log_manager& logs() const { return _logs; }

 private:
  void run_loop();
  void record(const storage::cleaning_stats& stats);

  storage::log_manager& _logs;
  const broker_config::cleaner_settings _settings;
  storage::cleaner_settings _storage_settings;
  storage::io_throttle _throttle;

  mutable std::mutex _mutex;
  std::condition_variable _wake;
  bool _stopping = false;  // guarded by _mutex
  totals _totals;          // guarded by _mutex
  struct finished {
    storage::cleaning_stats stats;
    std::int64_t finished_ms;  // wall clock
  };
  std::deque<finished> _recent;  // guarded by _mutex; newest last
  bool _failing = false;         // guarded by _mutex; one line when it starts

  // Last: its destructor joins the loops, which use everything above.
  std::unique_ptr<io::blocking_pool> _pool;
};

}  // namespace spate::app
