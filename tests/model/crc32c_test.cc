#include "model/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>

namespace spate::model {
namespace {

base::byte_span as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Crc32c, MatchesKnownVectors) {
  EXPECT_EQ(crc32c(as_bytes("")), 0u);
  EXPECT_EQ(crc32c(as_bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(as_bytes("a")), 0xC1D04330u);
  // RFC 3720 (iSCSI) B.4 test patterns.
  std::vector<std::uint8_t> zeros(32, 0x00), ones(32, 0xff), inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<std::uint8_t>(i);
    dec[i] = static_cast<std::uint8_t>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(inc), 0x46DD794Eu);
  EXPECT_EQ(crc32c(dec), 0x113FDB5Cu);
}

TEST(Crc32c, ExtendsAcrossSplits) {
  const auto data = as_bytes("The quick brown fox jumps over the lazy dog");
  const auto whole = crc32c(data);
  for (std::size_t i = 0; i <= data.size(); ++i)
    EXPECT_EQ(crc32c(data.subspan(i), crc32c(data.first(i))), whole) << i;
}

// The definition, one bit at a time: what the library's vector code must agree with on every
// length (its main loop, its folding of lanes and its tails take different branches by length)
// and alignment.
std::uint32_t crc32c_bitwise(base::byte_span data, std::uint32_t crc) {
  crc = ~crc;
  for (std::uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

TEST(Crc32c, AgreesWithTheBitwiseDefinitionOnAllShortLengthsAndAlignments) {
  std::mt19937 rng(42);
  std::vector<std::uint8_t> buf(1100 + 64);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t misalign = 0; misalign < 64; misalign += 7) {
    for (std::size_t len = 0; len <= 1100; ++len) {
      base::byte_span s(buf.data() + misalign, len);
      const auto seed = static_cast<std::uint32_t>(rng());
      ASSERT_EQ(crc32c(s, seed), crc32c_bitwise(s, seed)) << len << "/" << misalign;
    }
  }
}

TEST(Crc32c, AgreesWithTheBitwiseDefinitionOnLargeBuffers) {
  std::mt19937 rng(7);
  std::vector<std::uint8_t> buf((1U << 20) + 64);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t len : {4'095u, 24'577u, 100'003u, 1U << 20}) {
    for (std::size_t misalign : {0u, 1u, 33u}) {
      base::byte_span s(buf.data() + misalign, len);
      const auto expected = crc32c_bitwise(s, 0);
      EXPECT_EQ(crc32c(s), expected) << len;
      EXPECT_EQ(crc32c(s.subspan(len / 3), crc32c(s.first(len / 3))), expected) << len;
    }
  }
}

}  // namespace
}  // namespace spate::model
