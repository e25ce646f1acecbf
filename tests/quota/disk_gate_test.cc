#include "quota/disk_gate.h"

#include <gtest/gtest.h>

namespace spate::quota {
namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

disk_limits quota_of(std::uint64_t bytes) {
  disk_limits limits;
  limits.quota_bytes = bytes;
  limits.soft_percent = 90;
  limits.hard_percent = 98;
  limits.clear_margin_percent = 2;
  limits.max_throttle_ms = 1000;
  return limits;
}

// The broker's own usage against a 100 MiB quota, on a roomy filesystem.
disk_usage used(std::uint64_t bytes) { return {bytes, 0, 0}; }

// This machine's root filesystem when the bug was found: df said Size 252G, Used 64G, Avail 33G
// (Use% 67), the rest reserved; counting the reserve as used put it at 90 % and throttled producers.
TEST(DiskQuotaFilesystem, ReservedBlocksAreNeitherFreeNorPartOfTheSize) {
  constexpr std::uint64_t block = 4096;
  constexpr std::uint64_t G = 1024 * 1024 * 1024 / block;  // blocks per GiB
  const auto usage = filesystem_space(252 * G, 188 * G, 33 * G, block);
  EXPECT_EQ(usage.fs_free_bytes, 33 * G * block);
  EXPECT_EQ(usage.fs_total_bytes, (64 + 33) * G * block);
  EXPECT_NEAR(usage_percent(disk_limits{}, usage), 100.0 * 64 / 97, 0.01);
  EXPECT_EQ(next_state(disk_state::normal, disk_limits{}, usage), disk_state::normal);
}

TEST(DiskQuotaFilesystem, WithoutAReserveTheSizeIsTheFilesystemsAndFullMeansNoFreeBlock) {
  const auto roomy = filesystem_space(1000, 400, 400, 512);
  EXPECT_EQ(roomy.fs_total_bytes, 1000u * 512);
  EXPECT_EQ(roomy.fs_free_bytes, 400u * 512);
  EXPECT_DOUBLE_EQ(usage_percent(disk_limits{}, roomy), 60.0);
  // Only the reserve left: 100 %, whatever its size.
  EXPECT_DOUBLE_EQ(usage_percent(disk_limits{}, filesystem_space(1000, 50, 0, 512)), 100.0);
}

TEST(DiskQuotaState, EntersSoftAndHardAtTheirThresholds) {
  const auto limits = quota_of(100 * MiB);
  EXPECT_EQ(next_state(disk_state::normal, limits, used(89 * MiB)), disk_state::normal);
  EXPECT_EQ(next_state(disk_state::normal, limits, used(90 * MiB)), disk_state::soft);
  EXPECT_EQ(next_state(disk_state::soft, limits, used(98 * MiB)), disk_state::hard);
  EXPECT_EQ(next_state(disk_state::normal, limits, used(99 * MiB)), disk_state::hard);
}

TEST(DiskQuotaState, ClearsOnlyAMarginBelowTheThreshold) {
  const auto limits = quota_of(100 * MiB);
  // Soft holds between 88% and 90%, and only clears below 88%.
  EXPECT_EQ(next_state(disk_state::soft, limits, used(89 * MiB)), disk_state::soft);
  EXPECT_EQ(next_state(disk_state::soft, limits, used(88 * MiB)), disk_state::soft);
  EXPECT_EQ(next_state(disk_state::soft, limits, used(87 * MiB)), disk_state::normal);
  // Hard holds down to 96%, then falls to soft (not normal: still above soft's clear point).
  EXPECT_EQ(next_state(disk_state::hard, limits, used(97 * MiB)), disk_state::hard);
  EXPECT_EQ(next_state(disk_state::hard, limits, used(95 * MiB)), disk_state::soft);
  EXPECT_EQ(next_state(disk_state::hard, limits, used(50 * MiB)), disk_state::normal);
}

TEST(DiskQuotaState, UsageAlternatingAroundAThresholdDoesNotFlap) {
  const auto limits = quota_of(100 * MiB);
  auto state = next_state(disk_state::normal, limits, used(90 * MiB));
  for (int i = 0; i < 10; ++i) {
    state = next_state(state, limits, used((i % 2 == 0 ? 89 : 91) * MiB));
    EXPECT_EQ(state, disk_state::soft) << i;
  }
}

TEST(DiskQuotaState, TheFilesystemCountsWhenOthersFillIt) {
  // No quota: the filesystem's size is the limit, whoever uses it.
  disk_limits limits = quota_of(0);
  limits.free_min_bytes = 1 * MiB;
  EXPECT_EQ(next_state(disk_state::normal, limits, {1 * MiB, 1000 * MiB, 500 * MiB}), disk_state::normal);
  EXPECT_EQ(next_state(disk_state::normal, limits, {1 * MiB, 1000 * MiB, 95 * MiB}), disk_state::soft);
  // A quota far from full does not hide a full filesystem.
  limits.quota_bytes = 10000 * MiB;
  EXPECT_EQ(next_state(disk_state::normal, limits, {1 * MiB, 1000 * MiB, 15 * MiB}), disk_state::hard);
}

TEST(DiskQuotaState, TheFreeSpaceFloorStartsHardAndClearsAMarginAbove) {
  disk_limits limits = quota_of(0);
  limits.hard_percent = 99.9;
  limits.soft_percent = 99.8;
  limits.free_min_bytes = 300 * MiB;
  // 100 GiB filesystem, 250 MiB free: 99.76% used, below both thresholds, but under the floor.
  const std::uint64_t total = 102400 * MiB;
  EXPECT_EQ(next_state(disk_state::normal, limits, {0, total, 250 * MiB}), disk_state::hard);
  // Above the floor but within its margin (2% of the filesystem): still hard.
  EXPECT_EQ(next_state(disk_state::hard, limits, {0, total, 400 * MiB}), disk_state::hard);
  EXPECT_EQ(next_state(disk_state::hard, limits, {0, total, 300 * MiB + total / 50 + 1}), disk_state::normal);
}

TEST(DiskQuotaState, TheFloorIsCappedOnSmallFilesystems) {
  EXPECT_EQ(effective_free_min_bytes(256 * MiB, 128 * MiB), 128 * MiB / 50);
  EXPECT_EQ(effective_free_min_bytes(256 * MiB, 1024 * 1024 * MiB), 256 * MiB);
  EXPECT_EQ(effective_free_min_bytes(256 * MiB, 0), 256 * MiB);
}

TEST(DiskQuotaThrottle, GrowsWithDepthIntoTheSoftBand) {
  const auto limits = quota_of(100 * MiB);
  EXPECT_EQ(throttle_ms(limits, 89.99), 0);
  EXPECT_EQ(throttle_ms(limits, 90), 100);
  EXPECT_EQ(throttle_ms(limits, 94), 550);
  EXPECT_EQ(throttle_ms(limits, 98), 1000);
  EXPECT_EQ(throttle_ms(limits, 120), 1000);
}

TEST(DiskQuotaTrimTarget, IsTheExcessOverSoftMinusTheMargin) {
  const auto limits = quota_of(100 * MiB);
  EXPECT_EQ(bytes_over_soft(limits, used(80 * MiB)), 0U);
  EXPECT_EQ(bytes_over_soft(limits, used(95 * MiB)), 95 * MiB - static_cast<std::uint64_t>(100 * MiB * 0.88));
}

TEST(DiskGate, RefusesInHardAndThrottlesInSoftCountingEach) {
  disk_gate gate(quota_of(100 * MiB));
  EXPECT_EQ(gate.update(used(50 * MiB), 0), disk_state::normal);
  auto a = gate.admit_produce();
  EXPECT_FALSE(a.refuse);
  EXPECT_EQ(a.throttle_ms, 0);

  EXPECT_EQ(gate.update(used(94 * MiB), gate.appended_total()), disk_state::soft);
  a = gate.admit_produce();
  EXPECT_FALSE(a.refuse);
  EXPECT_EQ(a.throttle_ms, 550);

  EXPECT_EQ(gate.update(used(98 * MiB), gate.appended_total()), disk_state::hard);
  EXPECT_TRUE(gate.admit_produce().refuse);
  EXPECT_EQ(gate.throttled_requests(), 1U);
  EXPECT_EQ(gate.refused_requests(), 1U);
  EXPECT_EQ(gate.throttle_ms_total(), 550U);
}

TEST(DiskGate, AppendsBetweenMeasurementsCountTowardsTheHardThreshold) {
  disk_gate gate(quota_of(100 * MiB));
  gate.update(used(90 * MiB), gate.appended_total());
  EXPECT_FALSE(gate.admit_produce().refuse);
  gate.note_appended(8 * MiB);  // 98%: refused before the monitor measures again
  EXPECT_EQ(gate.estimate().used_bytes, 98 * MiB);
  EXPECT_TRUE(gate.admit_produce().refuse);
  // The next measurement includes those bytes; the estimate starts from it.
  gate.update(used(60 * MiB), gate.appended_total());
  EXPECT_EQ(gate.estimate().used_bytes, 60 * MiB);
  EXPECT_FALSE(gate.admit_produce().refuse);
}

TEST(DiskGate, AppendsAlsoConsumeTheFilesystemsFreeSpace) {
  disk_limits limits = quota_of(0);
  limits.free_min_bytes = 10 * MiB;
  disk_gate gate(limits);
  gate.update({0, 10000 * MiB, 30 * MiB}, gate.appended_total());
  EXPECT_EQ(gate.state(), disk_state::hard);  // 99.7% used
  gate.update({0, 10000 * MiB, 5000 * MiB}, gate.appended_total());
  EXPECT_EQ(gate.state(), disk_state::normal);
  gate.note_appended(4995 * MiB);
  EXPECT_EQ(gate.estimate().fs_free_bytes, 5 * MiB);
  EXPECT_TRUE(gate.admit_produce().refuse);
}

}  // namespace
}  // namespace spate::quota
