// CRC-32C. The software path is slicing-by-8; the hardware path runs three independent crc32
// streams over adjacent blocks (the instruction has 3-cycle latency, 1-cycle throughput) and joins
// them with "shift by N zero bytes" tables, the technique of Mark Adler's crc32c.c.
#include "model/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace spate::model {
namespace {

static_assert(std::endian::native == std::endian::little, "slicing-by-8 assumes little endian");

constexpr std::uint32_t kPoly = 0x82F63B78;  // Castagnoli, reflected
constexpr std::size_t kLong = 8192;          // bytes per stream, large blocks
constexpr std::size_t kShort = 256;          // bytes per stream, small blocks

using shift_table = std::array<std::array<std::uint32_t, 256>, 4>;

struct tables {
  // slice[k][b]: CRC register after byte b followed by k zero bytes.
  std::array<std::array<std::uint32_t, 256>, 8> slice;
  shift_table shift_long;   // multiplies a raw CRC by x^(8*kLong)
  shift_table shift_short;  // multiplies a raw CRC by x^(8*kShort)
};

// The raw register (no pre/post inversion) after feeding `n` zero bytes to `crc`.
std::uint32_t feed_zeros(const std::array<std::uint32_t, 256>& t0, std::uint32_t crc,
                         std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) crc = t0[crc & 0xff] ^ (crc >> 8);
  return crc;
}

// Feeding zeros is linear over GF(2): tabulate it per byte of the register.
shift_table make_shift(const std::array<std::uint32_t, 256>& t0, std::size_t n) {
  std::array<std::uint32_t, 32> basis{};
  for (int i = 0; i < 32; ++i) basis[i] = feed_zeros(t0, std::uint32_t{1} << i, n);
  shift_table out{};
  for (int k = 0; k < 4; ++k) {
    for (std::uint32_t b = 0; b < 256; ++b) {
      std::uint32_t v = 0;
      for (int bit = 0; bit < 8; ++bit)
        if (b & (1u << bit)) v ^= basis[8 * k + bit];
      out[k][b] = v;
    }
  }
  return out;
}

const tables& get_tables() {
  static const tables t = [] {
    tables r{};
    for (std::uint32_t b = 0; b < 256; ++b) {
      std::uint32_t c = b;
      for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      r.slice[0][b] = c;
    }
    for (int k = 1; k < 8; ++k)
      for (std::uint32_t b = 0; b < 256; ++b)
        r.slice[k][b] = (r.slice[k - 1][b] >> 8) ^ r.slice[0][r.slice[k - 1][b] & 0xff];
    r.shift_long = make_shift(r.slice[0], kLong);
    r.shift_short = make_shift(r.slice[0], kShort);
    return r;
  }();
  return t;
}

inline std::uint32_t shift(const shift_table& t, std::uint32_t crc) {
  return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint64_t hw_run(const std::uint8_t* p, std::size_t words,
                                                       std::uint64_t c) {
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t w;
    std::memcpy(&w, p + 8 * i, 8);
    c = _mm_crc32_u64(c, w);
  }
  return c;
}

// Three streams over [p, p+len), [p+len, p+2len), [p+2len, p+3len); returns the joined register.
__attribute__((target("sse4.2"))) std::uint64_t hw_three(const std::uint8_t* p, std::size_t len,
                                                         std::uint64_t c0, const shift_table& t) {
  std::uint64_t c1 = 0, c2 = 0;
  const std::uint8_t* end = p + len;
  while (p < end) {
    std::uint64_t w0, w1, w2;
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + len, 8);
    std::memcpy(&w2, p + 2 * len, 8);
    c0 = _mm_crc32_u64(c0, w0);
    c1 = _mm_crc32_u64(c1, w1);
    c2 = _mm_crc32_u64(c2, w2);
    p += 8;
  }
  c0 = shift(t, static_cast<std::uint32_t>(c0)) ^ c1;
  c0 = shift(t, static_cast<std::uint32_t>(c0)) ^ c2;
  return c0;
}
#endif

}  // namespace

namespace detail {

std::uint32_t crc32c_sw(base::byte_span data, std::uint32_t crc) {
  const auto& t = get_tables().slice;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  crc = ~crc;
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
    crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    --n;
  }
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    w ^= crc;
    crc = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^ t[4][(w >> 24) & 0xff] ^
          t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^ t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_hw(base::byte_span data, std::uint32_t crc) {
  const auto& tabs = get_tables();
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  std::uint64_t c = static_cast<std::uint32_t>(~crc);
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --n;
  }
  while (n >= 3 * kLong) {
    c = hw_three(p, kLong, c, tabs.shift_long);
    p += 3 * kLong;
    n -= 3 * kLong;
  }
  while (n >= 3 * kShort) {
    c = hw_three(p, kShort, c, tabs.shift_short);
    p += 3 * kShort;
    n -= 3 * kShort;
  }
  c = hw_run(p, n / 8, c);
  p += n / 8 * 8;
  n %= 8;
  while (n-- > 0) c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
  return ~static_cast<std::uint32_t>(c);
}

bool crc32c_hw_available() {
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
}
#else
std::uint32_t crc32c_hw(base::byte_span data, std::uint32_t crc) { return crc32c_sw(data, crc); }
bool crc32c_hw_available() { return false; }
#endif

}  // namespace detail

std::uint32_t crc32c(base::byte_span data, std::uint32_t crc) {
  using fn = std::uint32_t (*)(base::byte_span, std::uint32_t);
  static const fn impl = detail::crc32c_hw_available() ? detail::crc32c_hw : detail::crc32c_sw;
  return impl(data, crc);
}

}  // namespace spate::model
