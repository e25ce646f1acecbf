#pragma once
// A token bucket in bytes per second shared by the log cleaner's threads (Kafka's cleaner
// Throttler, log.cleaner.io.max.bytes.per.second): every read and write of a cleaning asks for its
// bytes first and sleeps while the bucket is in debt. The bucket holds at most one second of
// tokens, so an idle period does not allow a burst longer than a second.
//
// Thread-safe. Time and sleeping are injected so tests do not sleep.
#include <cstdint>
#include <functional>

#include "base/mutex.h"

namespace spate::storage {

class io_throttle {
 public:
  using now_fn = std::function<std::int64_t()>;  // monotonic microseconds
  using sleep_fn = std::function<void(std::int64_t micros)>;

  // `bytes_per_second` <= 0 or non-finite: unlimited (acquire never sleeps).
  explicit io_throttle(double bytes_per_second, now_fn now = {}, sleep_fn sleep = {});

  // Takes `bytes` from the bucket, sleeping (without holding the lock) until the debt it leaves is
  // paid back by the rate. Returns the microseconds slept.
  std::int64_t acquire(std::uint64_t bytes) EXCLUDES(_mutex);
  void set_rate(double bytes_per_second) EXCLUDES(_mutex);
  double rate() const EXCLUDES(_mutex);
  // Total microseconds the callers slept (metrics).
  std::int64_t throttled_micros() const EXCLUDES(_mutex);

 private:
  now_fn _now;
  sleep_fn _sleep;
  mutable base::mutex _mutex;
  double _rate GUARDED_BY(_mutex);
  double _tokens GUARDED_BY(_mutex) = 0;  // may go negative: debt
  std::int64_t _last_us GUARDED_BY(_mutex) = -1;
  std::int64_t _slept_us GUARDED_BY(_mutex) = 0;
};

}  // namespace spate::storage
