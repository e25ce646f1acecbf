#pragma once
// Webhook alerts on group status transitions at or above a threshold, with a "resolved" notice
// when the group returns to OK/IDLE. Delivered by a thread of its own with retries and a bounded
// queue, so a slow or dead webhook never blocks sampling (on_tick only enqueues).
//
// The body is JSON: {"cluster", "group", "status", "previous", "reason", "at", "resolved",
// "total_lag", "max_time_lag_ms", "suppressed"}; "suppressed" counts the alerts of that group
// held back by min_interval_ms since its last notice (the latest is sent once the interval has
// passed, if the group is still at or above the threshold). http:// URLs only for now; another
// URL turns alerts off with a warning. docs/lag.md ("Alerts") is the operator's description.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "lag/evaluation.h"

namespace spate::lag {

struct alert_config {
  std::string webhook_url;               // empty: alerts off
  status threshold = status::slow;       // raised to RECOVERING when lower: OK is never an alert
  millis min_interval_ms = 60LL * 1000;  // per group, between two notices of the same kind
  std::size_t queue_limit = 1000;        // beyond: the oldest is dropped and counted
  int max_attempts = 5;
  millis retry_backoff_ms = 1000;  // doubled per attempt
  millis request_timeout_ms = 5000;
};

struct alert_stats {
  std::uint64_t sent = 0;
  std::uint64_t failed = 0;   // gave up after max_attempts
  std::uint64_t dropped = 0;  // queue full
};

class alert_notifier {
 public:
  explicit alert_notifier(alert_config config);
  ~alert_notifier();  // stops the delivery thread; undelivered notices are dropped
  alert_notifier(const alert_notifier&) = delete;
  alert_notifier& operator=(const alert_notifier&) = delete;

  // Never blocks on the network. Call from one thread (the monitor's); stats() from any.
  void on_tick(const tick_result& tick);
  alert_stats stats() const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace spate::lag
