#pragma once
// Log lines that neither flood nor go missing:
//  - log_rate_limit: a warning a client can provoke in a loop (garbage frames, connections
//    dropped mid-request) is written at most `burst` times per `window`; the lines held back are
//    counted and the next line let through reports them as `suppressed=N`.
//  - log_condition: a failing state that can clear (accepts failing, a check that keeps failing)
//    logs once when it starts, counts repeats silently, and logs one line when it clears.
// Both are thread-safe; a static one per call site is the usual use (the macros below).
#include <chrono>
#include <cstdint>
#include <optional>

#include "base/log.h"
#include "base/mutex.h"

namespace spate::base {

class log_rate_limit {
 public:
  using clock = std::chrono::steady_clock;
  explicit log_rate_limit(clock::duration window = std::chrono::seconds(10), std::uint32_t burst = 5)
      : _window(window), _burst(burst) {}

  // Whether a line at `now` is written: the number of lines suppressed since the last one written,
  // or nullopt when this one is suppressed (and counted).
  std::optional<std::uint64_t> admit(clock::time_point now = clock::now()) EXCLUDES(_mutex);

 private:
  const clock::duration _window;
  const std::uint32_t _burst;
  base::mutex _mutex;
  clock::time_point _window_start GUARDED_BY(_mutex){};
  std::uint32_t _written_in_window GUARDED_BY(_mutex) = 0;
  std::uint64_t _suppressed GUARDED_BY(_mutex) = 0;
};

class log_condition {
 public:
  // The condition holds now. Returns true the first time (the caller logs the start);
  // later calls while it holds only count.
  bool set() EXCLUDES(_mutex);
  // The condition no longer holds. Returns how many times it was set since it started, or
  // nullopt when it was not holding (nothing to log).
  std::optional<std::uint64_t> clear() EXCLUDES(_mutex);

 private:
  base::mutex _mutex;
  std::uint64_t _occurrences GUARDED_BY(_mutex) = 0;
};

}  // namespace spate::base

// A warning that may repeat fast: at most 5 lines per 10 s from this call site, then one line
// with `suppressed=N` for those held back. The format string must be a literal.
#define SPATE_LOG_WARN_RATE_LIMITED(format, ...)                                  \
  do {                                                                            \
    static ::spate::base::log_rate_limit spate_rate_limit_;                       \
    if (auto spate_suppressed_ = spate_rate_limit_.admit()) {                     \
      if (*spate_suppressed_ == 0) {                                              \
        ::spdlog::warn(format, __VA_ARGS__);                                      \
      } else {                                                                    \
        ::spdlog::warn(format " suppressed={}", __VA_ARGS__, *spate_suppressed_); \
      }                                                                           \
    }                                                                             \
  } while (0)
