#include "model/compression.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <zstd.h>

#include <random>

namespace spate::model {
namespace {

using base::byte_buffer;
constexpr compression_type kCodecs[] = {compression_type::none, compression_type::gzip,
                                        compression_type::snappy, compression_type::lz4,
                                        compression_type::zstd};
constexpr compression_type kRealCodecs[] = {compression_type::gzip, compression_type::snappy,
                                            compression_type::lz4, compression_type::zstd};

byte_buffer random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  byte_buffer b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

byte_buffer compressible_bytes(std::size_t n) {
  byte_buffer b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>("spate-kafka-"[i % 12] + (i / 4096) % 3);
  return b;
}

class CodecTest : public ::testing::TestWithParam<compression_type> {};

TEST_P(CodecTest, RoundTripsEmptySmallLargeAndIncompressibleInput) {
  for (std::size_t n : {0u, 1u, 7u, 100u, 32'768u, 32'769u, 65'537u, 1'000'003u}) {
    for (const auto& input : {compressible_bytes(n), random_bytes(n, static_cast<unsigned>(n))}) {
      const auto packed = compress(GetParam(), input);
      auto unpacked = decompress(GetParam(), packed, input.size());
      ASSERT_TRUE(unpacked.has_value())
          << to_string(GetParam()) << " n=" << n << " " << to_string(unpacked.error());
      EXPECT_EQ(*unpacked, input) << to_string(GetParam()) << " n=" << n;
    }
  }
}

TEST_P(CodecTest, ReportsOutputAboveTheLimitWithoutCrashing) {
  const auto input = compressible_bytes(200'000);
  const auto packed = compress(GetParam(), input);
  for (std::size_t limit : {0u, 1u, 1000u, 199'999u}) {
    auto r = decompress(GetParam(), packed, limit);
    ASSERT_FALSE(r.has_value()) << limit;
    EXPECT_EQ(r.error(), errc::output_too_large);
  }
  EXPECT_TRUE(decompress(GetParam(), packed, 200'000).has_value());
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest, ::testing::ValuesIn(kCodecs),
                         [](const auto& info) { return std::string(to_string(info.param)); });

class RealCodecTest : public ::testing::TestWithParam<compression_type> {};

TEST_P(RealCodecTest, GarbageIsAnErrorNotACrash) {
  for (unsigned seed = 0; seed < 200; ++seed) {
    const auto garbage = random_bytes(seed % 64 + (seed > 100 ? 1000 : 0), seed);
    auto r = decompress(GetParam(), garbage, 1 << 20);
    // Random bytes are very rarely a valid stream; what matters is a value, not a crash.
    if (r.has_value()) {
      EXPECT_LE(r->size(), 1u << 20);
    }
  }
  EXPECT_FALSE(decompress(GetParam(), random_bytes(500, 1), 1 << 20).has_value());
  EXPECT_FALSE(decompress(GetParam(), {}, 1 << 20).has_value());
}

TEST_P(RealCodecTest, TruncationAtEveryByteIsAnErrorOrShorterOutput) {
  const auto input = compressible_bytes(3000);
  const auto packed = compress(GetParam(), input);
  for (std::size_t cut = 0; cut < packed.size(); ++cut) {
    auto r = decompress(GetParam(), base::byte_span(packed).first(cut), 1 << 20);
    // Never silently "complete".
    if (r.has_value()) {
      EXPECT_NE(*r, input) << "cut=" << cut;
    }
  }
}

TEST_P(RealCodecTest, FlippedBytesNeverCrash) {
  const auto input = compressible_bytes(2000);
  auto packed = compress(GetParam(), input);
  for (std::size_t i = 0; i < packed.size(); ++i) {
    packed[i] ^= 0x5a;
    auto r = decompress(GetParam(), packed, 1 << 16);
    if (r.has_value()) {
      EXPECT_LE(r->size(), 1u << 16);
    }
    packed[i] ^= 0x5a;
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, RealCodecTest, ::testing::ValuesIn(kRealCodecs),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Snappy, WritesXerialFramingWithBigEndianChunkLengths) {
  const auto input = compressible_bytes(70'000);  // three 32 KiB chunks
  const auto packed = compress(compression_type::snappy, input);
  const std::uint8_t magic[] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  ASSERT_GT(packed.size(), sizeof magic);
  EXPECT_TRUE(std::equal(std::begin(magic), std::end(magic), packed.begin()));
  std::size_t pos = 16, chunks = 0;
  while (pos < packed.size()) {
    pos += 4 + static_cast<std::size_t>(base::load_be<std::int32_t>(packed.data() + pos));
    ++chunks;
  }
  EXPECT_EQ(pos, packed.size());
  EXPECT_EQ(chunks, 3u);
}

TEST(Snappy, EmptyInputStillWritesOneChunkSoLibrdkafkaSeesXerial) {
  // librdkafka only takes a stream for xerial when it is longer than 20 bytes.
  EXPECT_GT(compress(compression_type::snappy, {}).size(), 20u);
}

TEST(Snappy, ReadsRawSnappyAsLibrdkafkaWritesIt) {
  const auto input = compressible_bytes(100'000);
  const auto raw = detail::snappy_compress_raw(input);
  auto r = decompress(compression_type::snappy, raw, input.size());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, input);
  EXPECT_EQ(decompress(compression_type::snappy, raw, input.size() - 1).error(),
            errc::output_too_large);
}

TEST(Snappy, RejectsXerialChunkLengthPastTheEnd) {
  auto packed = compress(compression_type::snappy, compressible_bytes(100));
  base::store_be<std::int32_t>(packed.data() + 16, 1 << 30);
  EXPECT_EQ(decompress(compression_type::snappy, packed, 1 << 20).error(),
            errc::decompression_failed);
  base::store_be<std::int32_t>(packed.data() + 16, -1);
  EXPECT_EQ(decompress(compression_type::snappy, packed, 1 << 20).error(),
            errc::decompression_failed);
}

TEST(Zstd, StreamsFramesThatDoNotDeclareTheirContentSize) {
  // The Java client's ZstdOutputStream writes frames without a content size.
  const auto input = compressible_bytes(300'000);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  byte_buffer out(ZSTD_compressBound(input.size()));
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  base::byte_span rest(input);
  while (!rest.empty()) {  // fed piecemeal, as a stream: the size is never known up front
    const std::size_t n = std::min<std::size_t>(rest.size(), 10'000);
    ZSTD_inBuffer ib{rest.data(), n, 0};
    while (ib.pos < ib.size)
      ASSERT_FALSE(ZSTD_isError(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_continue)));
    rest = rest.subspan(n);
  }
  ZSTD_inBuffer none{nullptr, 0, 0};
  for (;;) {
    const std::size_t left = ZSTD_compressStream2(cctx, &ob, &none, ZSTD_e_end);
    ASSERT_FALSE(ZSTD_isError(left));
    if (left == 0) break;
  }
  ZSTD_freeCCtx(cctx);
  out.resize(ob.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  auto r = decompress(compression_type::zstd, out, input.size());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, input);
  EXPECT_EQ(decompress(compression_type::zstd, out, input.size() - 1).error(),
            errc::output_too_large);
}

TEST(Zstd, RejectsADeclaredContentSizeAboveTheLimitBeforeAllocating) {
  const auto packed = compress(compression_type::zstd, compressible_bytes(10'000));
  EXPECT_EQ(decompress(compression_type::zstd, packed, 9'999).error(), errc::output_too_large);
}

TEST(Gzip, ReadsConcatenatedMembers) {
  const auto a = compressible_bytes(1000), b = random_bytes(500, 3);
  auto packed = compress(compression_type::gzip, a);
  const auto second = compress(compression_type::gzip, b);
  packed.insert(packed.end(), second.begin(), second.end());
  auto r = decompress(compression_type::gzip, packed, 1 << 20);
  ASSERT_TRUE(r.has_value());
  byte_buffer want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(*r, want);
}

TEST(Gzip, WritesTheGzipWrapper) {
  const auto packed = compress(compression_type::gzip, compressible_bytes(10));
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(packed[0], 0x1f);
  EXPECT_EQ(packed[1], 0x8b);
}

TEST(Lz4, WritesAFrameWithIndependentBlocksForTheJavaReader) {
  const auto packed = compress(compression_type::lz4, compressible_bytes(200'000));
  ASSERT_GE(packed.size(), 7u);
  EXPECT_EQ(base::load_be<std::uint32_t>(packed.data()), 0x04224D18u);  // LE magic 0x184D2204
  const std::uint8_t flg = packed[4];
  EXPECT_EQ(flg >> 6, 1);              // version 01
  EXPECT_TRUE(flg & 0x20);             // block independence
  EXPECT_FALSE(flg & 0x08);            // no content size (the Java writer sets none)
  EXPECT_EQ((packed[5] >> 4) & 7, 4);  // 64 KiB blocks
}

TEST(CompressionType, MapsAttributeBits) {
  for (int bits = 0; bits <= 4; ++bits)
    EXPECT_EQ(static_cast<int>(*compression_from_bits(bits)), bits);
  for (int bits = 5; bits <= 7; ++bits) EXPECT_FALSE(compression_from_bits(bits).has_value());
}

}  // namespace
}  // namespace spate::model
