#pragma once
// Kafka framing: every request and response is a 4-byte big-endian signed size followed by that
// many payload bytes. Pure functions, thread-safe.
#include <cstddef>
#include <cstdint>
#include <limits>

namespace spate::net {

inline constexpr std::size_t frame_header_bytes = 4;

enum class frame_size_verdict {
  ok,
  invalid,    // zero, or negative as Kafka's signed int32 (>= 2^31 unsigned)
  too_large,  // positive but above the configured maximum
};

constexpr frame_size_verdict check_frame_size(std::uint32_t raw_size, std::size_t max_frame_bytes) {
  if (raw_size == 0 || raw_size > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max())) {
    return frame_size_verdict::invalid;
  }
  if (raw_size > max_frame_bytes) return frame_size_verdict::too_large;
  return frame_size_verdict::ok;
}

}  // namespace spate::net
