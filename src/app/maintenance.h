#pragma once
// The broker's periodic storage work on one background thread: flushes due under flush.ms,
// retries of failed partition logs (log_manager::recover_failed_logs), offset checkpoints (so
// unclean recovery starts near the end), retention, and the expiry of idle producers' state.
// Kafka runs the same tasks from its LogManager scheduler.
//
// Thread-safety: construct and destroy from one thread; the destructor stops the thread and waits
// for the task in progress.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "base/log_limit.h"

#include "storage/log_manager.h"

namespace spate::app {

struct maintenance_intervals {
  std::chrono::milliseconds flush_check{100};
  std::chrono::milliseconds checkpoint{60000};
  std::chrono::milliseconds retention{300000};
  std::chrono::milliseconds producer_expiry_check{600000};  // producer.id.expiration.check.interval.ms
  std::int64_t producer_id_expiration_ms = 86400000;        // producer.id.expiration.ms
};

class maintenance {
 public:
  maintenance(storage::log_manager& logs, maintenance_intervals intervals);
  ~maintenance();
  maintenance(const maintenance&) = delete;
  maintenance& operator=(const maintenance&) = delete;

 private:
  void run();

  storage::log_manager& _logs;
  const maintenance_intervals _intervals;
  std::mutex _mutex;
  std::condition_variable _wake;
  bool _stopping = false;  // guarded by _mutex
  // A failure repeats every period until it clears: logged when it starts and when it clears.
  base::log_condition _retention_failing;
  base::log_condition _checkpoint_failing;
  std::thread _thread;
};

}  // namespace spate::app
