#include "protocol/consumer_protocol.h"

#include <gtest/gtest.h>

#include <vector>

namespace spate::protocol {
namespace {

// Hand-built bytes (not from our encoder) for: version, [topic, [partitions]], user data.
std::vector<std::uint8_t> assignment_v0() {
  return {
      0x00, 0x00,                                      // version 0
      0x00, 0x00, 0x00, 0x02,                          // 2 topics
      0x00, 0x01, 'a',                                 // "a"
      0x00, 0x00, 0x00, 0x02,                          // 2 partitions
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,  // 0, 3
      0x00, 0x02, 'b',  'c',                           // "bc"
      0x00, 0x00, 0x00, 0x01,                          // 1 partition
      0x00, 0x00, 0x00, 0x07,                          // 7
      0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb,              // user data, 2 bytes
  };
}

TEST(decode_member_assignment, reads_topics_partitions_and_user_data) {
  const auto bytes = assignment_v0();
  const auto a = decode_member_assignment(bytes);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->version, 0);
  ASSERT_EQ(a->partitions.size(), 2u);
  EXPECT_EQ(a->partitions[0].first, "a");
  EXPECT_EQ(a->partitions[0].second, (std::vector<std::int32_t>{0, 3}));
  EXPECT_EQ(a->partitions[1].first, "bc");
  EXPECT_EQ(a->partitions[1].second, (std::vector<std::int32_t>{7}));
  EXPECT_EQ(a->user_data_size, 2u);
  EXPECT_EQ(assignment_text(*a), "a:0,3 bc:7");
}

TEST(decode_member_assignment, reads_a_newer_version_as_the_newest_known) {
  auto bytes = assignment_v0();
  bytes[1] = 9;  // a future version that only appends fields
  bytes.insert(bytes.end(), {0x01, 0x02});
  const auto a = decode_member_assignment(bytes);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->version, 9);
  EXPECT_EQ(a->partitions.size(), 2u);
}

TEST(decode_member_assignment, is_empty_for_no_bytes) { EXPECT_FALSE(decode_member_assignment({}).has_value()); }

TEST(decode_member_assignment, throws_on_truncated_bytes_at_every_length) {
  const auto bytes = assignment_v0();
  // Every cut inside the topic array is truncated (user data is nullable at v0, so the cut right
  // before it is not an error).
  for (std::size_t n = 1; n < 30; ++n) {
    EXPECT_THROW(decode_member_assignment(std::span(bytes.data(), n)), std::runtime_error) << n;
  }
}

}  // namespace
}  // namespace spate::protocol
