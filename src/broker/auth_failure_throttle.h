#pragma once
// The answer delay of failed authentications, per peer IP: the base delay (Kafka's
// connection.failed.authentication.delay.ms), growing with the peer's failures in the last minute
// (up to 5 s), so a client guessing passwords gets slower and slower while others are unaffected.
// Shared by SASL (sasl_authenticator) and the admin API's HTTP Basic authentication. Thread-safe:
// one mutex, held for a map update only, never across an await or I/O.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/mutex.h"

namespace spate::broker {

class auth_failure_throttle {
 public:
  explicit auth_failure_throttle(std::chrono::milliseconds base_delay) : _base_delay(base_delay) {}

  // Records a failure from `ip` and returns how long to wait before answering it.
  std::chrono::milliseconds record_failure(std::string_view ip, std::chrono::steady_clock::time_point now);
  // Failures since start-up.
  std::uint64_t failures() const { return _total.load(std::memory_order_relaxed); }

 private:
  struct peer_failures {
    std::chrono::steady_clock::time_point window_start;
    std::uint32_t count = 0;
  };

  std::chrono::milliseconds _base_delay;
  std::atomic<std::uint64_t> _total{0};
  base::mutex _mu;
  std::unordered_map<std::string, peer_failures> _peers GUARDED_BY(_mu);
};

}  // namespace spate::broker
