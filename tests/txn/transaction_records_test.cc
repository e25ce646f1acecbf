#include "txn/transaction_records.h"

#include <gtest/gtest.h>

#include <initializer_list>

#include "protocol/coordinator_placement.h"
#include "protocol/messages/transaction_log_key.h"
#include "protocol/messages/transaction_log_value.h"
#include "protocol/wire.h"

namespace spate::txn {
namespace {

using transaction_status::complete_commit;
using transaction_status::empty;
using transaction_status::ongoing;

// Big-endian bytes, written out by hand from the documented layout.
struct bytes_builder {
  base::byte_buffer out;
  bytes_builder& u8(std::uint8_t v) {
    out.push_back(v);
    return *this;
  }
  bytes_builder& i16(std::int16_t v) { return be(static_cast<std::uint16_t>(v), 2); }
  bytes_builder& i32(std::int32_t v) { return be(static_cast<std::uint32_t>(v), 4); }
  bytes_builder& i64(std::int64_t v) { return be(static_cast<std::uint64_t>(v), 8); }
  bytes_builder& str16(std::string_view s) {  // int16 length, then the bytes
    i16(static_cast<std::int16_t>(s.size()));
    return raw(s);
  }
  bytes_builder& raw(std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    return *this;
  }

 private:
  bytes_builder& be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
};

transaction_value ongoing_value() {
  transaction_value v;
  v.producer_id = 4000;
  v.producer_epoch = 7;
  v.timeout_ms = 60000;
  v.status = ongoing;
  v.partitions = {{"orders", 0}, {"orders", 3}, {"payments", 1}};
  v.last_update_timestamp_ms = 1700000001000;
  v.start_timestamp_ms = 1700000000000;
  return v;
}

TEST(transaction_records, key_is_version_0_then_the_transactional_id) {
  const auto key = encode_key("app-1");
  EXPECT_EQ(key, bytes_builder{}.i16(0).str16("app-1").out);
  EXPECT_EQ(decode_key(key), "app-1");
}

TEST(transaction_records, hand_assembled_version_0_value_decodes) {
  // producer_id, producer_epoch, timeout, status, partitions [topic [ids]], last update, start.
  const auto bytes = bytes_builder{}
                         .i16(0)
                         .i64(4000)
                         .i16(7)
                         .i32(60000)
                         .u8(1)
                         .i32(2)
                         .str16("orders")
                         .i32(2)
                         .i32(0)
                         .i32(3)
                         .str16("payments")
                         .i32(1)
                         .i32(1)
                         .i64(1700000001000)
                         .i64(1700000000000)
                         .out;
  const auto decoded = decode_value(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, ongoing_value());
  // And we write exactly those bytes.
  EXPECT_EQ(encode_value(ongoing_value()), bytes);
}

TEST(transaction_records, empty_state_writes_null_partitions) {
  transaction_value v;
  v.producer_id = 12;
  v.producer_epoch = 0;
  v.timeout_ms = 1000;
  v.status = empty;
  v.last_update_timestamp_ms = 5;
  v.start_timestamp_ms = -1;
  const auto expected =
      bytes_builder{}.i16(0).i64(12).i16(0).i32(1000).u8(0).i32(-1).i64(5).i64(-1).out;
  EXPECT_EQ(encode_value(v), expected);
  EXPECT_EQ(decode_value(expected), v);
}

TEST(transaction_records, hand_assembled_flexible_version_1_value_with_tagged_fields_decodes) {
  const auto bytes = bytes_builder{}
                         .i16(1)
                         .i64(4000)
                         .i16(7)
                         .i32(60000)
                         .u8(4)              // CompleteCommit
                         .u8(2)              // compact array: 1 topic
                         .u8(2)              // compact string: 1 byte
                         .raw("t")
                         .u8(2)              // compact array: 1 partition
                         .i32(5)
                         .u8(0)              // the topic entry's tagged fields: none
                         .i64(1700000001000)
                         .i64(1700000000000)
                         .u8(3)              // three tagged fields
                         .u8(0).u8(8).i64(3999)  // previous_producer_id
                         .u8(1).u8(8).i64(4001)  // next_producer_id
                         .u8(2).u8(2).i16(2)     // client_transaction_version
                         .out;
  const auto decoded = decode_value(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->producer_id, 4000);
  EXPECT_EQ(decoded->status, complete_commit);
  EXPECT_EQ(decoded->partitions, (std::set<topic_partition>{{"t", 5}}));
  EXPECT_EQ(decoded->previous_producer_id, 3999);
  EXPECT_EQ(decoded->next_producer_id, 4001);
  EXPECT_EQ(decoded->client_transaction_version, 2);
  EXPECT_EQ(encode_value(*decoded, 1), bytes);
}

TEST(transaction_records, generated_codec_round_trips_both_value_versions) {
  auto v = ongoing_value();
  v.previous_producer_id = 1;
  v.next_producer_id = 2;
  v.client_transaction_version = 1;
  const auto v1 = decode_value(encode_value(v, 1));
  ASSERT_TRUE(v1);
  EXPECT_EQ(*v1, v);
  // Version 0 has no tagged fields: they come back as defaults.
  const auto v0 = decode_value(encode_value(v, 0));
  ASSERT_TRUE(v0);
  auto expected = v;
  expected.previous_producer_id = -1;
  expected.next_producer_id = -1;
  expected.client_transaction_version = 0;
  EXPECT_EQ(*v0, expected);

  // The generated struct itself: encode, size and decode agree at each version.
  protocol::transaction_log_value msg;
  msg.producer_id = 9;
  msg.transaction_partitions = std::vector<protocol::transaction_log_value::partitions_schema>(1);
  (*msg.transaction_partitions)[0].topic = "x";
  (*msg.transaction_partitions)[0].partition_ids = {1, 2};
  for (std::int16_t version : {0, 1}) {
    base::byte_buffer out;
    protocol::writer w(out);
    msg.encode(w, version);
    EXPECT_EQ(out.size(), msg.size(version));
    protocol::reader r(out);
    protocol::transaction_log_value back;
    back.decode(r, version);
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(back, msg) << "version " << version;
  }
}

TEST(transaction_records, malformed_records_decode_to_nothing) {
  const auto good = encode_value(ongoing_value());
  // Every truncation.
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_value(base::byte_span(good.data(), n))) << "length " << n;
  }
  // Trailing bytes.
  auto longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode_value(longer));
  // Unknown version.
  auto v2 = good;
  v2[1] = 2;
  EXPECT_FALSE(decode_value(v2));
  // Unknown status id (8) and a negative one.
  for (std::uint8_t status : {std::uint8_t{8}, std::uint8_t{0xff}}) {
    auto bad = good;
    bad[2 + 8 + 2 + 4] = status;
    EXPECT_FALSE(decode_value(bad)) << int(status);
  }
  // Keys: other versions (a group coordinator key, say) and truncation.
  EXPECT_FALSE(decode_key(bytes_builder{}.i16(1).str16("x").out));
  EXPECT_FALSE(decode_key(bytes_builder{}.i16(0).i16(5).raw("ab").out));
  EXPECT_FALSE(decode_key(bytes_builder{}.u8(0).out));
}

TEST(transaction_records, placement_is_kafkas) {
  for (const char* id : {"app-1", "", "transactional-\xe2\x82\xac"}) {
    EXPECT_EQ(partition_for_transactional_id(id, 50), protocol::coordinator_partition(id, 50));
  }
}

}  // namespace
}  // namespace spate::txn
