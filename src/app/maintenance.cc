#include "app/maintenance.h"

#include "base/log.h"

namespace spate::app {

maintenance::maintenance(storage::log_manager& logs, maintenance_intervals intervals)
    : logs_(logs), intervals_(intervals), thread_([this] { run(); }) {}

maintenance::~maintenance() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void maintenance::run() {
  using clock = std::chrono::steady_clock;
  auto next_checkpoint = clock::now() + intervals_.checkpoint;
  auto next_retention = clock::now() + intervals_.retention;
  auto next_producer_expiry = clock::now() + intervals_.producer_expiry_check;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, intervals_.flush_check, [this] { return stopping_; })) {
    lock.unlock();
    logs_.flush_if_due();
    const auto now = clock::now();
    if (now >= next_retention) {
      next_retention = now + intervals_.retention;
      if (auto r = logs_.enforce_retention(); !r) {
        SPATE_LOG_WARN("event=retention_failed error={}", storage::to_string(r.error()));
      } else if (r.value().segments_deleted > 0) {
        SPATE_LOG_INFO("event=retention segments_deleted={} bytes_deleted={}", r.value().segments_deleted,
                       r.value().bytes_deleted);
      }
    }
    if (now >= next_producer_expiry) {
      next_producer_expiry = now + intervals_.producer_expiry_check;
      if (const auto n = logs_.expire_producers(intervals_.producer_id_expiration_ms); n > 0)
        SPATE_LOG_INFO("event=producers_expired count={}", n);
    }
    if (now >= next_checkpoint) {
      next_checkpoint = now + intervals_.checkpoint;
      if (auto r = logs_.checkpoint(); !r) {
        SPATE_LOG_WARN("event=checkpoint_failed error={}", storage::to_string(r.error()));
      }
    }
    lock.lock();
  }
}

}  // namespace spate::app
