#include "cli/offsets.h"

#include <gtest/gtest.h>

namespace spate::cli {
namespace {

using kind = start_offset::kind;

TEST(parse_start_offset, reads_every_form) {
  EXPECT_EQ(parse_start_offset("beginning"), (start_offset{kind::beginning, 0}));
  EXPECT_EQ(parse_start_offset("end"), (start_offset{kind::end, 0}));
  EXPECT_EQ(parse_start_offset("42"), (start_offset{kind::absolute, 42}));
  EXPECT_EQ(parse_start_offset("-5"), (start_offset{kind::from_end, 5}));
  EXPECT_EQ(parse_start_offset("@1700000000000"), (start_offset{kind::timestamp, 1700000000000}));
}

TEST(parse_start_offset, rejects_garbage) {
  for (const char* bad : {"", "x", "12x", "-", "@", "@abc", "--3", "beginningx"}) {
    EXPECT_THROW(parse_start_offset(bad), std::invalid_argument) << bad;
  }
}

TEST(parse_datetime_ms, reads_utc_zones_fractions_and_dates) {
  EXPECT_EQ(parse_datetime_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_datetime_ms("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(parse_datetime_ms("2023-11-14T22:13:20.123Z"), 1700000000123);
  EXPECT_EQ(parse_datetime_ms("2023-11-14T22:13:20.1"), 1700000000100);
  EXPECT_EQ(parse_datetime_ms("2023-11-14T22:13:20"), 1700000000000);  // no zone: UTC
  EXPECT_EQ(parse_datetime_ms("2023-11-15T00:13:20+02:00"), 1700000000000);
  EXPECT_EQ(parse_datetime_ms("2023-11-14T20:13:20-0200"), 1700000000000);
  EXPECT_EQ(parse_datetime_ms("2023-11-14T22:13"), 1699999980000);
  EXPECT_EQ(parse_datetime_ms("2024-02-29"), 1709164800000);
}

TEST(parse_datetime_ms, rejects_impossible_or_malformed_times) {
  for (const char* bad : {"", "2023", "2023-13-01", "2023-02-30", "2023-11-14T25:00:00", "2023-11-14T22:13:20Zjunk",
                          "2023-11-14T22:13:20.Z", "14/11/2023", "2023-11-14T22:13:20+2"}) {
    EXPECT_THROW(parse_datetime_ms(bad), std::invalid_argument) << bad;
  }
}

TEST(parse_topic_selection, reads_a_topic_with_or_without_partitions) {
  EXPECT_EQ(parse_topic_selection("orders"), (topic_selection{"orders", {}}));
  EXPECT_EQ(parse_topic_selection("orders:0,2,5"), (topic_selection{"orders", {0, 2, 5}}));
  EXPECT_THROW(parse_topic_selection(":1"), std::invalid_argument);
  EXPECT_THROW(parse_topic_selection("orders:"), std::invalid_argument);
  EXPECT_THROW(parse_topic_selection("orders:1,,2"), std::invalid_argument);
  EXPECT_THROW(parse_topic_selection("orders:-1"), std::invalid_argument);
}

TEST(parse_key_value, splits_at_the_first_equals_sign) {
  EXPECT_EQ(parse_key_value("a=b=c", "-X"), (std::pair<std::string, std::string>{"a", "b=c"}));
  EXPECT_EQ(parse_key_value("a=", "-X"), (std::pair<std::string, std::string>{"a", ""}));
  EXPECT_THROW(parse_key_value("ab", "-X"), std::invalid_argument);
  EXPECT_THROW(parse_key_value("=b", "-X"), std::invalid_argument);
}

partition_position position(std::optional<std::int64_t> committed, std::int64_t start, std::int64_t end,
                            std::optional<std::int64_t> for_time = std::nullopt) {
  return {"t", 0, committed, start, end, for_time};
}

TEST(reset_target, picks_each_strategy_and_clamps_to_the_log) {
  using k = reset_strategy::kind;
  const auto p = position(50, 10, 100);
  EXPECT_EQ(reset_target({k::earliest, 0}, p), 10);
  EXPECT_EQ(reset_target({k::latest, 0}, p), 100);
  EXPECT_EQ(reset_target({k::offset, 70}, p), 70);
  EXPECT_EQ(reset_target({k::offset, 5}, p), 10);
  EXPECT_EQ(reset_target({k::offset, 500}, p), 100);
  EXPECT_EQ(reset_target({k::shift_by, -20}, p), 30);
  EXPECT_EQ(reset_target({k::shift_by, -100}, p), 10);
  EXPECT_EQ(reset_target({k::shift_by, 80}, p), 100);
  EXPECT_EQ(reset_target({k::datetime, 0}, position(50, 10, 100, 42)), 42);
  EXPECT_EQ(reset_target({k::datetime, 0}, position(50, 10, 100)), 100);  // nothing that late: the end
}

TEST(reset_target, shifts_from_the_log_start_without_a_committed_offset) {
  EXPECT_EQ(reset_target({reset_strategy::kind::shift_by, 3}, position(std::nullopt, 10, 100)), 13);
}

TEST(plan_reset, sorts_rows_by_topic_and_partition_and_keeps_the_current_offset) {
  std::vector<partition_position> ps{{"b", 0, 5, 0, 9, {}}, {"a", 1, std::nullopt, 2, 4, {}}, {"a", 0, 1, 0, 3, {}}};
  const auto rows = plan_reset({reset_strategy::kind::latest, 0}, ps);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].topic, "a");
  EXPECT_EQ(rows[0].partition, 0);
  EXPECT_EQ(rows[0].current, 1);
  EXPECT_EQ(rows[0].target, 3);
  EXPECT_EQ(rows[1].partition, 1);
  EXPECT_FALSE(rows[1].current.has_value());
  EXPECT_EQ(rows[1].target, 4);
  EXPECT_EQ(rows[2].topic, "b");
  EXPECT_EQ(rows[2].target, 9);
}

TEST(lag, is_the_distance_to_the_log_end_and_unknown_without_a_commit) {
  EXPECT_EQ(lag(7, 10), 3);
  EXPECT_EQ(lag(12, 10), 0);
  EXPECT_FALSE(lag(std::nullopt, 10).has_value());
}

}  // namespace
}  // namespace spate::cli
