#include "storage/io_throttle.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace spate::storage {

io_throttle::io_throttle(double bytes_per_second, now_fn now, sleep_fn sleep)
    : _now(std::move(now)), _sleep(std::move(sleep)), _rate(bytes_per_second) {
  if (!_now) {
    _now = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!_sleep) _sleep = [](std::int64_t us) { std::this_thread::sleep_for(std::chrono::microseconds(us)); };
}

std::int64_t io_throttle::acquire(std::uint64_t bytes) {
  std::int64_t wait_us = 0;
  {
    base::mutex_lock lock(_mutex);
    if (!(_rate > 0) || !std::isfinite(_rate)) return 0;
    const auto now = _now();
    if (_last_us < 0) {
      _last_us = now;
      _tokens = _rate;  // start with one second's worth
    }
    _tokens = std::min(_rate, _tokens + _rate * static_cast<double>(now - _last_us) / 1e6);
    _last_us = now;
    _tokens -= static_cast<double>(bytes);
    // Each caller waits until the debt as of its own request is repaid; later callers see the
    // debt this one left and wait longer, so the shared rate holds.
    if (_tokens < 0) wait_us = static_cast<std::int64_t>(std::ceil(-_tokens / _rate * 1e6));
    _slept_us += wait_us;
  }
  if (wait_us > 0) _sleep(wait_us);
  return wait_us;
}

void io_throttle::set_rate(double bytes_per_second) {
  base::mutex_lock lock(_mutex);
  _rate = bytes_per_second;
  _last_us = -1;
}

double io_throttle::rate() const {
  base::mutex_lock lock(_mutex);
  return _rate;
}

std::int64_t io_throttle::throttled_micros() const {
  base::mutex_lock lock(_mutex);
  return _slept_us;
}

}  // namespace spate::storage
