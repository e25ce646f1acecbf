#include "app/maintenance.h"

#include "base/log.h"
#include "base/log_limit.h"

namespace spate::app {

maintenance::maintenance(storage::log_manager& logs, maintenance_intervals intervals)
    : _logs(logs), _intervals(intervals), _thread([this] { run(); }) {}

maintenance::~maintenance() {
  {
    std::lock_guard lock(_mutex);
    _stopping = true;
  }
  _wake.notify_all();
  _thread.join();
}

void maintenance::run() {
  using clock = std::chrono::steady_clock;
  auto next_checkpoint = clock::now() + _intervals.checkpoint;
  auto next_retention = clock::now() + _intervals.retention;
  auto next_producer_expiry = clock::now() + _intervals.producer_expiry_check;
  std::unique_lock lock(_mutex);
  while (!_wake.wait_for(lock, _intervals.flush_check, [this] { return _stopping; })) {
    lock.unlock();
    _logs.flush_if_due();
    // Failed partition logs come back without a restart once their cause is gone; the backoff is
    // the log manager's, so calling every tick is cheap.
    (void)_logs.recover_failed_logs();
    const auto now = clock::now();
    if (now >= next_retention) {
      next_retention = now + _intervals.retention;
      if (auto r = _logs.enforce_retention(); !r) {
        if (_retention_failing.set()) SPATE_LOG_WARN("event=retention_failed error={}", storage::to_string(r.error()));
      } else {
        if (auto failures = _retention_failing.clear())
          SPATE_LOG_INFO("event=retention_recovered failed_runs={}", *failures);
        if (r.value().segments_deleted > 0) {
          SPATE_LOG_INFO("event=retention segments_deleted={} bytes_deleted={}", r.value().segments_deleted,
                         r.value().bytes_deleted);
        }
      }
    }
    if (now >= next_producer_expiry) {
      next_producer_expiry = now + _intervals.producer_expiry_check;
      if (const auto n = _logs.expire_producers(_intervals.producer_id_expiration_ms); n > 0)
        SPATE_LOG_INFO("event=producers_expired count={}", n);
    }
    if (now >= next_checkpoint) {
      next_checkpoint = now + _intervals.checkpoint;
      if (auto r = _logs.checkpoint(); !r) {
        if (_checkpoint_failing.set())
          SPATE_LOG_WARN("event=checkpoint_failed error={}", storage::to_string(r.error()));
      } else if (auto failures = _checkpoint_failing.clear()) {
        SPATE_LOG_INFO("event=checkpoint_recovered failed_runs={}", *failures);
      }
    }
    lock.lock();
  }
}

}  // namespace spate::app
