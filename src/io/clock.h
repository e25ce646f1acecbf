#pragma once
// The time seam: storage asks an io::clock for "now" (segment age, retention, LogAppendTime,
// flush.ms), so tests move time by hand instead of sleeping (Kafka's MockTime).
#include <atomic>
#include <chrono>
#include <cstdint>

namespace spate::io {

// Wall-clock time in milliseconds since the Unix epoch, as Kafka timestamps are. Implementations
// are thread-safe.
class clock {
 public:
  virtual ~clock() = default;
  virtual std::int64_t now_ms() const = 0;
};

// std::chrono::system_clock.
class system_clock final : public clock {
 public:
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Process-wide system clock instance.
inline clock& default_clock() {
  static system_clock c;
  return c;
}

// A clock that only moves when told to. Thread-safe.
class manual_clock final : public clock {
 public:
  explicit manual_clock(std::int64_t start_ms = 1'700'000'000'000) : _now(start_ms) {}
  std::int64_t now_ms() const override { return _now.load(std::memory_order_acquire); }
  void set(std::int64_t ms) { _now.store(ms, std::memory_order_release); }
  void advance(std::int64_t ms) { _now.fetch_add(ms, std::memory_order_acq_rel); }

 private:
  std::atomic<std::int64_t> _now;
};

}  // namespace spate::io
