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

TEST(Crc32c, SoftwareAndHardwarePathsAgreeOnAllLengthsAndAlignments) {
  if (!detail::crc32c_hw_available()) GTEST_SKIP() << "no SSE4.2";
  std::mt19937 rng(42);
  std::vector<std::uint8_t> buf(1000 + 16);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t misalign = 0; misalign < 8; ++misalign) {
    for (std::size_t len = 0; len <= 1000; ++len) {
      base::byte_span s(buf.data() + misalign, len);
      const std::uint32_t seed = static_cast<std::uint32_t>(rng());
      ASSERT_EQ(detail::crc32c_sw(s, seed), detail::crc32c_hw(s, seed)) << len << "/" << misalign;
      ASSERT_EQ(detail::crc32c_sw(s, 0), crc32c(s));
    }
  }
}

TEST(Crc32c, PathsAgreeOnLargeBuffersThatUseThreeWayInterleaving) {
  if (!detail::crc32c_hw_available()) GTEST_SKIP() << "no SSE4.2";
  std::mt19937 rng(7);
  std::vector<std::uint8_t> buf(200'016);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t len : {24'576u, 24'577u, 49'152u, 100'003u, 199'999u}) {
    for (std::size_t misalign = 0; misalign < 3; ++misalign) {
      base::byte_span s(buf.data() + misalign, len);
      EXPECT_EQ(detail::crc32c_sw(s, 0), detail::crc32c_hw(s, 0)) << len;
      // Extend semantics hold for the interleaved path too.
      EXPECT_EQ(detail::crc32c_hw(s.subspan(len / 3), detail::crc32c_hw(s.first(len / 3), 0)),
                detail::crc32c_sw(s, 0));
    }
  }
}

}  // namespace
}  // namespace spate::model
