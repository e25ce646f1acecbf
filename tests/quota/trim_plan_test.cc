#include "quota/trim_plan.h"

#include <gtest/gtest.h>

namespace spate::quota {
namespace {

// Segments of 100 offsets and 1000 bytes each, with the given max timestamps.
trim_partition partition(std::string topic, std::int32_t p, std::vector<std::int64_t> max_timestamps) {
  trim_partition out;
  out.partition = {std::move(topic), p};
  std::int64_t base = 0;
  for (auto ts : max_timestamps) {
    out.closed_segments.push_back({base, base + 100, ts, 1000});
    base += 100;
  }
  return out;
}

trim_rules rules(std::uint64_t bytes, std::int64_t now = 10000, std::int64_t min_age = 0) {
  return {.bytes_to_free = bytes, .now_ms = now, .min_age_ms = min_age};
}

TEST(TrimPlan, TakesTheOldestSegmentsAcrossPartitionsUntilEnoughIsFreed) {
  const std::vector<trim_partition> parts{partition("a", 0, {10, 40, 70}), partition("b", 0, {20, 30, 80})};
  const auto plan = plan_trim(parts, rules(3500), {});
  // Oldest first: a0(10), b0(20), b1(30), a1(40): 4000 bytes >= 3500.
  ASSERT_EQ(plan.size(), 2U);
  EXPECT_EQ(plan[0].partition, (model::topic_partition{"a", 0}));
  EXPECT_EQ(plan[0].from_offset, 0);
  EXPECT_EQ(plan[0].to_offset, 200);
  EXPECT_EQ(plan[0].segments, 2U);
  EXPECT_EQ(plan[0].bytes, 2000U);
  EXPECT_EQ(plan[0].max_timestamp, 40);
  EXPECT_EQ(plan[1].partition, (model::topic_partition{"b", 0}));
  EXPECT_EQ(plan[1].to_offset, 200);
}

TEST(TrimPlan, APartitionsSegmentsGoInOrderEvenWhenALaterOneIsOlder) {
  // b's second segment carries older timestamps than its first: it still waits for the first.
  const std::vector<trim_partition> parts{partition("a", 0, {50, 60}), partition("b", 0, {55, 5})};
  const auto plan = plan_trim(parts, rules(1000), {});
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_EQ(plan[0].partition.topic, "a");
}

TEST(TrimPlan, NeverTakesASegmentYoungerThanTheMinimumAgeNorWhatFollowsIt) {
  const std::vector<trim_partition> parts{partition("a", 0, {1000, 9500, 2000})};
  const auto plan = plan_trim(parts, rules(1000000, 10000, 1000), {});
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_EQ(plan[0].to_offset, 100);  // the second is 500 ms old, so the third cannot go either
}

TEST(TrimPlan, NothingToDoWhenNothingIsOverOrNothingIsEligible) {
  EXPECT_TRUE(plan_trim({partition("a", 0, {1, 2})}, rules(0), {}).empty());
  EXPECT_TRUE(plan_trim({partition("a", 0, {})}, rules(100), {}).empty());
}

TEST(TrimPlan, NamesTheGroupsThatLoseUnreadRecordsAndHowMany) {
  auto part = partition("a", 0, {1, 2, 3});
  part.log_start_offset = 30;  // DeleteRecords moved it inside the first segment
  committed_offsets committed;
  committed[{"a", 0}] = {
      {"caught-up", 250}, {"at-the-boundary", 200}, {"midway", 120}, {"behind-start", 10}, {"never-read", 0}};
  const auto plan = plan_trim({part}, rules(2000), committed);
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_EQ(plan[0].from_offset, 30);
  EXPECT_EQ(plan[0].to_offset, 200);
  const std::vector<group_loss> expected{{"behind-start", 170}, {"midway", 80}, {"never-read", 170}};
  EXPECT_EQ(plan[0].losers, expected);
}

}  // namespace
}  // namespace spate::quota
