#include "model/record_batch.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>

#include "model/crc32c.h"
#include "model/record.h"
#include "model/record_batch_builder.h"

namespace spate::model {
namespace {

using base::byte_buffer;
namespace L = batch_layout;

constexpr compression_type kCodecs[] = {compression_type::none, compression_type::gzip,
                                        compression_type::snappy, compression_type::lz4,
                                        compression_type::zstd};
constexpr std::size_t kMax = 64 << 20;

byte_buffer bytes_of(std::string_view s) { return byte_buffer(s.begin(), s.end()); }

// Records covering null/empty/non-empty keys and values, headers with null values, and
// timestamps on both sides of the first.
std::vector<record> sample_records(std::size_t n, std::int64_t base_offset = 0) {
  std::vector<record> out;
  for (std::size_t i = 0; i < n; ++i) {
    record r;
    r.offset = base_offset + static_cast<std::int64_t>(i);
    r.timestamp =
        1'700'000'000'000 +
        static_cast<std::int64_t>(i % 5 == 4 ? -static_cast<int>(i) : static_cast<int>(i) * 3);
    if (i % 3 == 1) r.key = bytes_of("key-" + std::to_string(i));
    if (i % 3 == 2) r.key = byte_buffer{};
    if (i % 4 != 3) r.value = bytes_of(std::string(i % 50, 'v') + std::to_string(i));
    if (i % 7 == 5) r.value = byte_buffer{};
    if (i % 5 == 1) r.headers = {{"h1", bytes_of("x")}, {"", std::nullopt}, {"h3", byte_buffer{}}};
    out.push_back(std::move(r));
  }
  return out;
}

byte_buffer build(compression_type c, const std::vector<record>& records,
                  std::int64_t base_offset = 0) {
  record_batch_builder b(c, base_offset);
  for (const auto& r : records) b.add(r);
  return b.build();
}

class BatchCodecTest : public ::testing::TestWithParam<compression_type> {};

TEST_P(BatchCodecTest, BuildValidateDecodeRoundTrips) {
  for (std::size_t n : {1u, 2u, 17u, 10'000u}) {
    const auto records = sample_records(n, 100);
    const auto batch = build(GetParam(), records, 100);
    auto view = validate_batch(batch);
    ASSERT_TRUE(view.has_value()) << n << " " << to_string(view.error());
    EXPECT_EQ(view->compression(), GetParam());
    EXPECT_EQ(view->record_count(), static_cast<std::int32_t>(n));
    EXPECT_EQ(view->base_offset(), 100);
    EXPECT_EQ(view->last_offset(), 100 + static_cast<std::int64_t>(n) - 1);
    EXPECT_EQ(view->size_bytes(), batch.size());
    auto decoded = decode_records(*view, kMax);
    ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
    ASSERT_EQ(decoded->size(), records.size());
    EXPECT_EQ(*decoded, records);
  }
}

TEST_P(BatchCodecTest, DecodeRespectsTheUncompressedLimit) {
  const auto batch = build(GetParam(), sample_records(100));
  auto view = validate_batch(batch);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(decode_records(*view, 10).error(), errc::output_too_large);
}

TEST_P(BatchCodecTest, GarbageRecordsSectionIsAnErrorForEveryCodec) {
  // A header that claims the codec, followed by random bytes, with a correct CRC.
  std::mt19937 rng(1);
  for (int trial = 0; trial < 50; ++trial) {
    auto batch = build(GetParam(), sample_records(3));
    batch.resize(L::header_size);
    for (int i = 0; i < 40 + trial; ++i) batch.push_back(static_cast<std::uint8_t>(rng()));
    base::store_be<std::int32_t>(batch.data() + L::batch_length,
                                 static_cast<std::int32_t>(batch.size() - L::log_overhead));
    base::store_be<std::uint32_t>(batch.data() + L::crc, compute_batch_crc(batch));
    auto view = validate_batch(batch, validation_level::stored);
    if (!view) continue;  // e.g. the record count no longer fits the bytes
    EXPECT_FALSE(decode_records(*view, kMax).has_value());
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, BatchCodecTest, ::testing::ValuesIn(kCodecs),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(RecordBatch, HeaderFieldsFromTheBuilderAreParsedBack) {
  record_batch_builder b(compression_type::lz4, 5000);
  b.set_producer(77, 3, 12).set_transactional().set_partition_leader_epoch(9);
  b.append(1000, std::nullopt, bytes_of("a"));
  b.append(900, bytes_of("k"), std::nullopt);
  b.append(1100, std::nullopt, std::nullopt);
  const auto batch = b.build();
  auto h = parse_batch_header(batch);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->base_offset, 5000);
  EXPECT_EQ(h->size_bytes(), batch.size());
  EXPECT_EQ(h->partition_leader_epoch, 9);
  EXPECT_EQ(h->magic, 2);
  EXPECT_EQ(h->crc, crc32c(base::byte_span(batch).subspan(21)));
  EXPECT_EQ(h->compression_bits(), 3);
  EXPECT_TRUE(h->is_transactional());
  EXPECT_FALSE(h->is_control());
  EXPECT_EQ(h->ts_type(), timestamp_type::create_time);
  EXPECT_EQ(h->last_offset_delta, 2);
  EXPECT_EQ(h->base_timestamp, 1000);
  EXPECT_EQ(h->max_timestamp, 1100);
  EXPECT_EQ(h->producer_id, 77);
  EXPECT_EQ(h->producer_epoch, 3);
  EXPECT_EQ(h->base_sequence, 12);
  EXPECT_EQ(h->record_count, 3);

  auto view = validate_batch(batch);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->header(), *h);
  EXPECT_EQ(view->producer_id(), 77);
  EXPECT_EQ(view->producer_epoch(), 3);
  EXPECT_EQ(view->base_sequence(), 12);
  EXPECT_EQ(view->max_timestamp(), 1100);
  EXPECT_TRUE(view->is_transactional());
  EXPECT_EQ(view->last_offset(), 5002);
}

TEST(RecordBatch, CorruptionAtEveryByteIsDetected) {
  const auto good = build(compression_type::none, sample_records(3));
  ASSERT_TRUE(validate_batch(good).has_value());
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (std::uint8_t flip : {0x01, 0x80, 0xff}) {
      auto bad = good;
      bad[i] ^= flip;
      auto r = validate_batch(bad);
      if (i < L::batch_length + 4 || (i >= L::partition_leader_epoch && i < L::magic)) {
        // baseOffset and partitionLeaderEpoch are outside the CRC by design; a changed
        // batchLength disagrees with the span.
        if (i >= L::batch_length && i < L::batch_length + 4) {
          EXPECT_FALSE(r.has_value()) << i;
        }
        continue;
      }
      ASSERT_FALSE(r.has_value()) << "byte " << i << " flip " << int(flip);
      if (i == L::magic) {
        EXPECT_EQ(r.error(), errc::unsupported_magic);
      } else {
        EXPECT_EQ(r.error(), errc::corrupt_message) << i;
      }
    }
  }
}

TEST(RecordBatch, CorruptionInsideACompressedBatchIsDetectedByTheCrc) {
  const auto good = build(compression_type::zstd, sample_records(50));
  for (std::size_t i = L::attributes; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x10;
    auto r = validate_batch(bad);
    ASSERT_FALSE(r.has_value()) << i;
    EXPECT_EQ(r.error(), errc::corrupt_message);
  }
}

TEST(RecordBatch, TruncationAtEveryByteIsReported) {
  const auto good = build(compression_type::gzip, sample_records(5));
  for (std::size_t n = 0; n < good.size(); ++n) {
    base::byte_span cut(good.data(), n);
    auto r = validate_batch(cut);
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error(), errc::truncated) << n;
    auto split = split_batches(cut);
    ASSERT_TRUE(split.has_value()) << n;
    EXPECT_TRUE(split->batches.empty());
    EXPECT_EQ(split->trailing_bytes, n);
  }
}

TEST(RecordBatch, TrailingBytesAfterOneBatchAreNotOneBatch) {
  auto batch = build(compression_type::none, sample_records(2));
  batch.push_back(0);
  EXPECT_EQ(validate_batch(batch).error(), errc::corrupt_message);
}

TEST(RecordBatch, HeaderParseRejectsBadLengthAndMagic) {
  auto batch = build(compression_type::none, sample_records(2));
  auto bad_len = batch;
  base::store_be<std::int32_t>(bad_len.data() + L::batch_length, 48);
  EXPECT_EQ(parse_batch_header(bad_len).error(), errc::corrupt_message);
  base::store_be<std::int32_t>(bad_len.data() + L::batch_length, -5);
  EXPECT_EQ(parse_batch_header(bad_len).error(), errc::corrupt_message);
  for (std::int8_t magic : {0, 1, 3, -1}) {
    auto bad_magic = batch;
    bad_magic[L::magic] = static_cast<std::uint8_t>(magic);
    EXPECT_EQ(parse_batch_header(bad_magic).error(), errc::unsupported_magic);
  }
}

// Rewrites a header field and fixes the CRC, to test the semantic checks behind it.
template <typename T>
byte_buffer with_field(byte_buffer batch, std::size_t at, T value) {
  base::store_be<T>(batch.data() + at, value);
  base::store_be<std::uint32_t>(batch.data() + L::crc, compute_batch_crc(batch));
  return batch;
}

TEST(RecordBatch, SemanticChecksOnCountsAndFlags) {
  const auto batch = build(compression_type::none, sample_records(4));
  // Unknown codec.
  EXPECT_EQ(validate_batch(with_field<std::int16_t>(batch, L::attributes, 5)).error(),
            errc::unsupported_compression);
  // Negative count / delta.
  EXPECT_EQ(validate_batch(with_field<std::int32_t>(batch, L::record_count, -1)).error(),
            errc::invalid_record);
  EXPECT_EQ(validate_batch(with_field<std::int32_t>(batch, L::last_offset_delta, -1)).error(),
            errc::invalid_record);
  // More records than offsets.
  EXPECT_EQ(validate_batch(with_field<std::int32_t>(batch, L::last_offset_delta, 2),
                           validation_level::stored)
                .error(),
            errc::invalid_record);
  // A count no uncompressed records section could hold.
  EXPECT_EQ(validate_batch(with_field<std::int32_t>(batch, L::record_count, 1'000'000),
                           validation_level::stored)
                .error(),
            errc::invalid_record);
  // Gaps (compaction) are fine in a log, not from a producer.
  const auto gappy = with_field<std::int32_t>(batch, L::last_offset_delta, 9);
  EXPECT_TRUE(validate_batch(gappy, validation_level::stored).has_value());
  EXPECT_EQ(validate_batch(gappy, validation_level::produce).error(), errc::invalid_record);
  // Empty batches likewise.
  record_batch_builder empty;
  EXPECT_TRUE(validate_batch(empty.build(), validation_level::stored).has_value());
  EXPECT_EQ(validate_batch(empty.build(), validation_level::produce).error(), errc::invalid_record);
  // Transactional without a producer id; control batches from clients.
  EXPECT_EQ(validate_batch(
                with_field<std::int16_t>(batch, L::attributes, batch_attributes::transactional))
                .error(),
            errc::invalid_record);
  EXPECT_EQ(
      validate_batch(with_field<std::int16_t>(batch, L::attributes, batch_attributes::control))
          .error(),
      errc::invalid_record);
  EXPECT_TRUE(
      validate_batch(with_field<std::int16_t>(batch, L::attributes, batch_attributes::control),
                     validation_level::stored)
          .has_value());
}

TEST(RecordBatch, DecodeRejectsRecordsThatDisagreeWithTheCount) {
  const auto batch = build(compression_type::none, sample_records(4));
  // Fewer records claimed than present: bytes left over.
  auto fewer = with_field<std::int32_t>(batch, L::record_count, 3);
  auto v = validate_batch(fewer, validation_level::stored);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(decode_records(*v, kMax).error(), errc::invalid_record);
  // The last offset delta below a record's own delta.
  auto low = with_field<std::int32_t>(batch, L::last_offset_delta, 3);
  low = with_field<std::int32_t>(low, L::record_count, 4);
  ASSERT_TRUE(validate_batch(low).has_value());
  auto lower = with_field<std::int32_t>(batch, L::last_offset_delta, 2);
  lower = with_field<std::int32_t>(lower, L::record_count, 3);
  v = validate_batch(lower, validation_level::stored);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(decode_records(*v, kMax).error(), errc::invalid_record);
}

TEST(RecordBatch, DecodeNeverCrashesOnMutatedRecords) {
  const auto good = build(compression_type::none, sample_records(6));
  for (std::size_t i = L::header_size; i < good.size(); ++i) {
    for (std::uint8_t value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      auto bad = with_field<std::uint8_t>(good, i, value);
      auto v = validate_batch(bad, validation_level::stored);
      if (!v) continue;
      auto r = decode_records(*v, kMax);
      if (r) {
        EXPECT_EQ(r->size(), 6u);
      }
    }
  }
}

TEST(RecordBatch, AssignOffsetsKeepsTheCrcValid) {
  for (auto c : kCodecs) {
    auto batch = build(c, sample_records(10));
    assign_offsets(batch, 123'456'789'000);
    set_partition_leader_epoch(batch, 42);
    auto view = validate_batch(batch);
    ASSERT_TRUE(view.has_value()) << to_string(c);
    EXPECT_EQ(view->base_offset(), 123'456'789'000);
    EXPECT_EQ(view->last_offset(), 123'456'789'009);
    EXPECT_EQ(view->partition_leader_epoch(), 42);
    auto decoded = decode_records(*view, kMax);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->front().offset, 123'456'789'000);
    EXPECT_EQ(decoded->back().offset, 123'456'789'009);
  }
}

TEST(RecordBatch, LogAppendTimeRewriteSetsEveryRecordsTimestamp) {
  for (auto c : kCodecs) {
    auto batch = build(c, sample_records(10));
    set_log_append_time(batch, 1'999'999'999'999);
    auto view = validate_batch(batch);
    ASSERT_TRUE(view.has_value()) << to_string(c);
    EXPECT_EQ(view->ts_type(), timestamp_type::log_append_time);
    EXPECT_EQ(view->max_timestamp(), 1'999'999'999'999);
    EXPECT_EQ(view->compression(), c);
    auto decoded = decode_records(*view, kMax);
    ASSERT_TRUE(decoded.has_value());
    for (const auto& r : *decoded) EXPECT_EQ(r.timestamp, 1'999'999'999'999);
  }
}

TEST(RecordBatch, BuilderLogAppendTimeAndControlMarkers) {
  record_batch_builder b(compression_type::none, 7);
  b.set_producer(5, 1, -1).set_transactional().set_control().set_log_append_time(555);
  b.add(make_end_txn_marker(control_record_type::commit, 3, 7, 100));
  const auto batch = b.build();
  auto view = validate_batch(batch, validation_level::stored);
  ASSERT_TRUE(view.has_value());
  EXPECT_TRUE(view->is_control());
  EXPECT_TRUE(view->is_transactional());
  EXPECT_EQ(view->ts_type(), timestamp_type::log_append_time);
  auto decoded = decode_records(*view, kMax);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0].timestamp, 555);
  EXPECT_EQ(*(*decoded)[0].key, (byte_buffer{0, 0, 0, 1}));
  EXPECT_EQ(*(*decoded)[0].value, (byte_buffer{0, 0, 0, 0, 0, 3}));
}

TEST(RecordBatch, BuilderKeepsOffsetGaps) {
  auto records = sample_records(3, 10);
  records[1].offset = 15;
  records[2].offset = 20;
  const auto batch = build(compression_type::snappy, records, 10);
  auto view = validate_batch(batch, validation_level::stored);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->last_offset(), 20);
  EXPECT_EQ(view->record_count(), 3);
  EXPECT_EQ(*decode_records(*view, kMax), records);
}

TEST(SplitBatches, IteratesConcatenatedBatchesAndReportsAPartialTail) {
  byte_buffer buffer;
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto b = build(kCodecs[i], sample_records(i + 1, static_cast<std::int64_t>(i * 10)),
                         static_cast<std::int64_t>(i * 10));
    sizes.push_back(b.size());
    buffer.insert(buffer.end(), b.begin(), b.end());
  }
  auto whole = split_batches(buffer);
  ASSERT_TRUE(whole.has_value());
  ASSERT_EQ(whole->batches.size(), 4u);
  EXPECT_EQ(whole->trailing_bytes, 0u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(whole->batches[i].size(), sizes[i]);
    auto v = validate_batch(whole->batches[i]);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->base_offset(), static_cast<std::int64_t>(i * 10));
  }
  // Cut anywhere inside the last batch: three batches and a partial tail.
  const std::size_t first3 = sizes[0] + sizes[1] + sizes[2];
  for (std::size_t cut = first3; cut < buffer.size(); ++cut) {
    auto part = split_batches(base::byte_span(buffer).first(cut));
    ASSERT_TRUE(part.has_value());
    EXPECT_EQ(part->batches.size(), 3u);
    EXPECT_EQ(part->trailing_bytes, cut - first3);
  }
  // A corrupt length in the middle is an error, not a tail.
  auto bad = buffer;
  base::store_be<std::int32_t>(bad.data() + sizes[0] + L::batch_length, 3);
  EXPECT_EQ(split_batches(bad).error(), errc::corrupt_message);
  bad = buffer;
  bad[sizes[0] + L::magic] = 1;
  EXPECT_EQ(split_batches(bad).error(), errc::unsupported_magic);
}

TEST(SplitBatches, EmptyBufferHasNoBatches) {
  auto r = split_batches({});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->batches.empty());
  EXPECT_EQ(r->trailing_bytes, 0u);
}

}  // namespace
}  // namespace spate::model
