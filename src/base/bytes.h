#pragma once
// Byte-level primitives shared by the wire protocol and the record-batch format: big-endian fixed
// integers and Kafka's varints (unsigned LEB128, and zigzag for signed). Pure functions, no I/O,
// thread-safe. Decoders report truncated or overlong input by returning std::nullopt; callers turn
// that into their own error (a decode_error for requests, CORRUPT_MESSAGE for batches).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace spate::base {

using byte_buffer = std::vector<std::uint8_t>;
using byte_span = std::span<const std::uint8_t>;

template <typename T>
T load_be(const std::uint8_t* p) {
  static_assert(std::is_integral_v<T> || std::is_floating_point_v<T>);
  T value;
  std::memcpy(&value, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) {
    if constexpr (std::is_floating_point_v<T>) {
      std::uint64_t bits;
      std::memcpy(&bits, &value, sizeof bits);
      bits = __builtin_bswap64(bits);
      std::memcpy(&value, &bits, sizeof bits);
    } else if constexpr (sizeof(T) == 2) {
      value = static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(value)));
    } else if constexpr (sizeof(T) == 4) {
      value = static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(value)));
    } else {
      value = static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(value)));
    }
  }
  return value;
}

template <typename T>
void store_be(std::uint8_t* p, T value) {
  static_assert(std::is_integral_v<T> || std::is_floating_point_v<T>);
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) {
    if constexpr (std::is_floating_point_v<T>) {
      std::uint64_t bits;
      std::memcpy(&bits, &value, sizeof bits);
      bits = __builtin_bswap64(bits);
      std::memcpy(p, &bits, sizeof bits);
      return;
    } else if constexpr (sizeof(T) == 2) {
      value = static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(value)));
    } else if constexpr (sizeof(T) == 4) {
      value = static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(value)));
    } else {
      value = static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(value)));
    }
  }
  std::memcpy(p, &value, sizeof(T));
}

template <typename T>
void append_be(byte_buffer& out, T value) {
  const auto at = out.size();
  out.resize(at + sizeof(T));
  store_be<T>(out.data() + at, value);
}

inline std::uint64_t zigzag_encode(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t zigzag_decode(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Bytes an unsigned varint of `v` occupies (1..10).
inline std::size_t uvarint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline std::size_t varint_size(std::int64_t v) { return uvarint_size(zigzag_encode(v)); }

inline void append_uvarint(byte_buffer& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void append_varint(byte_buffer& out, std::int64_t v) { append_uvarint(out, zigzag_encode(v)); }

struct decoded_varint {
  std::uint64_t value;
  std::size_t length;  // bytes consumed
};

// Decodes an unsigned varint of at most `max_bytes` (5 for 32-bit, 10 for 64-bit fields).
inline std::optional<decoded_varint> read_uvarint(byte_span in, std::size_t max_bytes = 10) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < in.size() && i < max_bytes; ++i) {
    const std::uint8_t b = in[i];
    value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return decoded_varint{value, i + 1};
  }
  return std::nullopt;
}

}  // namespace spate::base
