#include "base/log_limit.h"

namespace spate::base {

std::optional<std::uint64_t> log_rate_limit::admit(clock::time_point now) {
  mutex_lock lock(_mutex);
  if (_written_in_window == 0 || now - _window_start >= _window) {
    _window_start = now;
    _written_in_window = 0;
  }
  if (_written_in_window >= _burst) {
    ++_suppressed;
    return std::nullopt;
  }
  ++_written_in_window;
  return std::exchange(_suppressed, 0);
}

bool log_condition::set() {
  mutex_lock lock(_mutex);
  return _occurrences++ == 0;
}

std::optional<std::uint64_t> log_condition::clear() {
  mutex_lock lock(_mutex);
  if (_occurrences == 0) return std::nullopt;
  return std::exchange(_occurrences, 0);
}

}  // namespace spate::base
