// Batches written by an independent implementation (kafka-python; see make_golden.py) decode to
// the records it was given, for every codec, including raw (librdkafka-style) snappy.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "model/record.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"

namespace spate::model {
namespace {

using base::byte_buffer;

byte_buffer from_hex(const std::string& hex) {
  byte_buffer out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::optional<byte_buffer> nullable_hex(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  return from_hex(j.get<std::string>());
}

nlohmann::json load_golden() {
  std::ifstream in(std::string(SPATE_TEST_DATA_DIR) + "/golden_batches.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

std::vector<record> expected_records(const nlohmann::json& batch) {
  std::vector<record> out;
  for (const auto& r : batch["records"]) {
    record rec;
    rec.offset = r["offset_delta"].get<std::int64_t>();
    rec.timestamp = r["timestamp"].get<std::int64_t>();
    rec.key = nullable_hex(r["key"]);
    rec.value = nullable_hex(r["value"]);
    for (const auto& h : r["headers"])
      rec.headers.push_back({h[0].get<std::string>(), nullable_hex(h[1])});
    out.push_back(std::move(rec));
  }
  return out;
}

compression_type codec_named(const std::string& name) {
  for (auto c : {compression_type::none, compression_type::gzip, compression_type::snappy,
                 compression_type::lz4, compression_type::zstd})
    if (to_string(c) == name) return c;
  ADD_FAILURE() << "unknown codec " << name;
  return compression_type::none;
}

TEST(GoldenBatches, KafkaPythonBatchesDecodeToTheirRecords) {
  const auto golden = load_golden();
  ASSERT_GE(golden["batches"].size(), 7u);
  std::set<std::string> codecs_seen;
  for (const auto& g : golden["batches"]) {
    const std::string name = g["name"];
    SCOPED_TRACE(name);
    const auto bytes = from_hex(g["hex"]);
    auto view = validate_batch(bytes, validation_level::produce);
    ASSERT_TRUE(view.has_value()) << to_string(view.error());
    EXPECT_EQ(view->compression(), codec_named(g["codec"]));
    codecs_seen.insert(g["codec"]);
    const auto want = expected_records(g);
    EXPECT_EQ(view->record_count(), static_cast<std::int32_t>(want.size()));
    EXPECT_EQ(view->last_offset(), want.back().offset);
    if (g.contains("producer_id")) {
      EXPECT_EQ(view->producer_id(), g["producer_id"].get<std::int64_t>());
      EXPECT_EQ(view->producer_epoch(), g["producer_epoch"].get<std::int16_t>());
      EXPECT_EQ(view->base_sequence(), g["base_sequence"].get<std::int32_t>());
      EXPECT_TRUE(view->is_transactional());
    } else {
      EXPECT_EQ(view->producer_id(), -1);
      EXPECT_FALSE(view->is_transactional());
    }
    std::int64_t max_ts = want.front().timestamp;
    for (const auto& r : want) max_ts = std::max(max_ts, r.timestamp);
    EXPECT_EQ(view->max_timestamp(), max_ts);

    auto decoded = decode_records(*view, 1 << 20);
    ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
    EXPECT_EQ(*decoded, want);

    // The broker's rewrite keeps the batch valid and shifts every offset.
    auto stamped = bytes;
    assign_offsets(stamped, 1'000'000);
    set_log_append_time(stamped, 1'234);
    auto v2 = validate_batch(stamped);
    ASSERT_TRUE(v2.has_value());
    auto d2 = decode_records(*v2, 1 << 20);
    ASSERT_TRUE(d2.has_value());
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ((*d2)[i].offset, 1'000'000 + want[i].offset);
      EXPECT_EQ((*d2)[i].timestamp, 1'234);
    }
  }
  EXPECT_EQ(codecs_seen.size(), 5u);
}

TEST(GoldenBatches, OurUncompressedEncodingIsByteIdenticalToKafkaPython) {
  // kafka-python writes the same header defaults as we do for a producer batch except the
  // partition leader epoch (0, where the builder leaves -1 for the broker to set).
  const auto golden = load_golden();
  for (const auto& g : golden["batches"]) {
    if (g["codec"] != "none") continue;
    SCOPED_TRACE(g["name"].get<std::string>());
    record_batch_builder b(compression_type::none, 0);
    b.set_partition_leader_epoch(0);
    for (const auto& r : expected_records(g)) b.add(r);
    EXPECT_EQ(b.build(), from_hex(g["hex"]));
  }
}

}  // namespace
}  // namespace spate::model
