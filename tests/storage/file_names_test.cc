#include "storage/file_names.h"

#include <gtest/gtest.h>

namespace spate::storage {
namespace {

TEST(file_names, segment_files_are_named_by_twenty_digit_base_offsets) {
  EXPECT_EQ(log_file_name(0), "00000000000000000000.log");
  EXPECT_EQ(index_file_name(42), "00000000000000000042.index");
  EXPECT_EQ(time_index_file_name(9223372036854775807), "09223372036854775807.timeindex");
}

TEST(file_names, segment_names_parse_back_and_reject_other_names) {
  EXPECT_EQ(parse_segment_file_name("00000000000000001234.log", log_suffix), 1234);
  EXPECT_FALSE(parse_segment_file_name("0000000000000000123.log", log_suffix));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000123x.log", log_suffix));
  EXPECT_FALSE(parse_segment_file_name("00000000000000001234.index", log_suffix));
}

TEST(file_names, partition_directories_split_at_the_last_dash) {
  EXPECT_EQ(partition_dir_name("my-topic", 3), "my-topic-3");
  auto tp = parse_partition_dir_name("my-topic-3");
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->topic, "my-topic");
  EXPECT_EQ(tp->partition, 3);
  EXPECT_FALSE(parse_partition_dir_name("my-topic-x"));
  EXPECT_FALSE(parse_partition_dir_name(delete_dir_name("my-topic", 3, "abc")));
  EXPECT_TRUE(is_delete_dir_name(delete_dir_name("my-topic", 3, "abc")));
}

}  // namespace
}  // namespace spate::storage
