#include <gtest/gtest.h>

#include "helpers.h"
#include "storage/file_names.h"

namespace spate::storage::test {
namespace {

using retention = log_fixture;

TEST_F(retention, time_retention_deletes_old_closed_segments_and_advances_the_log_start) {
  auto cfg = small_config();
  cfg.segment_bytes = static_cast<std::int64_t>(make_batch(1, 0).size() * 2);
  cfg.retention_ms = 10'000;
  auto log = open_log(cfg);
  const auto t0 = clock.now_ms();
  for (int i = 0; i < 4; ++i) append(*log, 1, t0);           // segments [0,1] [2,3]
  for (int i = 0; i < 3; ++i) append(*log, 1, t0 + 8'000);   // [4,5] [6]
  ASSERT_TRUE(log->flush());
  ASSERT_EQ(log->segment_count(), 4u);
  clock.set(t0 + 10'000);
  EXPECT_EQ(log->enforce_retention()->segments_deleted, 0u);  // not past retention yet
  clock.set(t0 + 10'001);
  auto r = log->enforce_retention();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->segments_deleted, 2u);
  EXPECT_EQ(log->log_start_offset(), 4);
  EXPECT_FALSE(std::filesystem::exists(dir() / log_file_name(0)));
  EXPECT_FALSE(std::filesystem::exists(dir() / index_file_name(2)));
  // Everything expired: all closed segments go, the active one stays.
  clock.set(t0 + 100'000);
  r = log->enforce_retention();
  EXPECT_EQ(r->segments_deleted, 1u);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 6);
  base::byte_buffer buf;
  EXPECT_EQ(log->read(5, 100, 7, &buf).error(), errc::offset_out_of_range);
  EXPECT_FALSE(log->read(6, 100, 7, &buf)->records.empty());
}

TEST_F(retention, compact_only_logs_are_not_trimmed_by_time_or_size) {
  auto cfg = small_config();
  cfg.segment_bytes = static_cast<std::int64_t>(make_batch(1, 0).size() * 2);
  cfg.retention_ms = 10'000;
  cfg.retention_bytes = 1;
  cfg.cleanup_policy = "compact";
  auto log = open_log(cfg);
  const auto t0 = clock.now_ms();
  for (int i = 0; i < 5; ++i) append(*log, 1, t0);  // segments [0,1] [2,3] [4]
  ASSERT_TRUE(log->flush());
  clock.set(t0 + 100'000);
  auto r = log->enforce_retention();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->segments_deleted, 0u);
  EXPECT_EQ(log->log_start_offset(), 0);
  // With delete added to the policy, the same log is trimmed.
  cfg.cleanup_policy = "compact,delete";
  log->update_config(cfg);
  r = log->enforce_retention();
  EXPECT_EQ(r->segments_deleted, 2u);
}

TEST_F(retention, size_retention_keeps_the_newest_bytes_and_never_the_active_segment) {
  auto cfg = small_config();
  const auto batch = static_cast<std::int64_t>(make_batch(1, 0).size());
  cfg.segment_bytes = batch * 2;
  cfg.retention_bytes = batch * 3;
  auto log = open_log(cfg);
  for (int i = 0; i < 9; ++i) append(*log, 1, clock.now_ms());  // [0,1] [2,3] [4,5] [6,7] [8]
  ASSERT_TRUE(log->flush());
  auto r = log->enforce_retention();
  ASSERT_TRUE(r);
  // 9 batches, keep at most 3: delete whole segments while the rest still exceeds... Kafka's rule:
  // delete the oldest while (size - retention) >= segment size.
  EXPECT_EQ(r->segments_deleted, 3u);
  EXPECT_EQ(log->log_start_offset(), 6);
  EXPECT_LE(static_cast<std::int64_t>(log->size_bytes()), batch * 3);

  cfg.retention_bytes = 0;
  log->update_config(cfg);
  r = log->enforce_retention();
  EXPECT_EQ(r->segments_deleted, 1u);
  EXPECT_EQ(log->segment_count(), 1u);  // the active segment survives retention.bytes=0
  EXPECT_EQ(log->log_start_offset(), 8);
}

}  // namespace
}  // namespace spate::storage::test
