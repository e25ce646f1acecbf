// partition_log with producer state: deduplication, sequence errors, markers, the last stable
// offset, aborted transactions, and rebuilding all of it after clean and unclean restarts.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "helpers.h"
#include "storage/file_names.h"

namespace spate::storage::test {
namespace {

constexpr std::int64_t pid = 1000;

// Timestamps near the manual clock's start, so that segment.ms never rolls a segment mid-test.
constexpr std::int64_t ts = 1'700'000'000'000;

base::byte_buffer producer_batch(std::int16_t epoch, std::int32_t first_seq, int records, bool transactional = false,
                                 std::int64_t producer_id = pid) {
  model::record_batch_builder b(model::compression_type::none, 0);
  b.set_producer(producer_id, epoch, first_seq);
  if (transactional) b.set_transactional();
  base::byte_buffer value(16, 'x');
  for (int i = 0; i < records; ++i) b.append(ts + i, std::nullopt, base::byte_span(value));
  return b.build();
}

struct partition_log_transactions : log_fixture {
  result<append_result> append(partition_log& log, base::byte_buffer batch,
                               append_origin origin = append_origin::client) {
    return log.append(batch, origin);
  }
};

TEST_F(partition_log_transactions, a_retried_batch_is_answered_with_its_original_offsets_and_not_written_again) {
  auto log = open_log(small_config());
  ASSERT_TRUE(append(*log, make_batch(3, ts)));  // offsets 0-2, no producer
  auto first = append(*log, producer_batch(0, 0, 2));
  auto second = append(*log, producer_batch(0, 2, 2));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->base_offset, 3);
  EXPECT_EQ(second->base_offset, 5);
  const auto leo = log->log_end_offset();
  auto retry = append(*log, producer_batch(0, 0, 2));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, 3);
  EXPECT_EQ(retry->last_offset, 4);
  EXPECT_EQ(log->log_end_offset(), leo);
}

TEST_F(partition_log_transactions, sequence_and_epoch_errors_write_nothing) {
  auto log = open_log(small_config());
  ASSERT_TRUE(append(*log, producer_batch(3, 0, 2)));
  const auto leo = log->log_end_offset();
  auto gap = append(*log, producer_batch(3, 5, 1));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error(), errc::out_of_order_sequence);
  auto stale = append(*log, producer_batch(2, 2, 1));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), errc::invalid_producer_epoch);
  auto bumped_not_zero = append(*log, producer_batch(4, 2, 1));
  ASSERT_FALSE(bumped_not_zero);
  EXPECT_EQ(bumped_not_zero.error(), errc::out_of_order_sequence);
  EXPECT_EQ(log->log_end_offset(), leo);
  EXPECT_TRUE(append(*log, producer_batch(4, 0, 1)));
}

TEST_F(partition_log_transactions, coordinator_batches_skip_the_sequence_check) {
  auto log = open_log(small_config());
  ASSERT_TRUE(append(*log, producer_batch(0, 0, 1)));
  auto r = append(*log, producer_batch(0, 0, 1, true), append_origin::coordinator);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->duplicate);
}

TEST_F(partition_log_transactions, an_open_transaction_holds_the_last_stable_offset_until_its_marker) {
  auto log = open_log(small_config());
  ASSERT_TRUE(append(*log, make_batch(2, ts)));  // 0-1
  ASSERT_TRUE(append(*log, producer_batch(0, 0, 3, true)));  // 2-4, open
  ASSERT_TRUE(log->flush());
  EXPECT_EQ(log->high_watermark(), 5);
  EXPECT_EQ(log->last_stable_offset(), 2);
  auto marker = log->append_marker(pid, 0, 7, /*commit=*/true);
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->base_offset, 5);
  ASSERT_TRUE(log->flush());
  EXPECT_EQ(log->last_stable_offset(), 6);
  EXPECT_TRUE(log->aborted_transactions(0, 6).empty());
}

TEST_F(partition_log_transactions, an_abort_is_reported_to_read_committed_fetches_of_its_range) {
  auto log = open_log(small_config());
  ASSERT_TRUE(append(*log, producer_batch(0, 0, 3, true)));  // 0-2
  ASSERT_TRUE(log->append_marker(pid, 0, 1, /*commit=*/false));  // 3
  ASSERT_TRUE(append(*log, make_batch(1, ts)));  // 4
  auto aborted = log->aborted_transactions(0, 5);
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0].producer_id, pid);
  EXPECT_EQ(aborted[0].first_offset, 0);
  EXPECT_EQ(aborted[0].last_offset, 3);
  EXPECT_TRUE(log->aborted_transactions(4, 5).empty());  // fetched past the marker
}

TEST_F(partition_log_transactions, a_marker_with_a_stale_epoch_is_refused) {
  auto log = open_log(small_config());
  ASSERT_TRUE(append(*log, producer_batch(5, 0, 1, true)));
  auto r = log->append_marker(pid, 4, 0, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_producer_epoch);
}

TEST_F(partition_log_transactions, a_clean_restart_keeps_dedup_open_transactions_and_aborts) {
  {
    auto log = open_log(small_config());
    ASSERT_TRUE(append(*log, producer_batch(0, 0, 2, true, 1)));     // 0-1, aborted below
    ASSERT_TRUE(log->append_marker(1, 0, 0, false));                 // 2
    ASSERT_TRUE(append(*log, producer_batch(0, 0, 2, false, 2)));    // 3-4
    ASSERT_TRUE(append(*log, producer_batch(0, 0, 1, true, 3)));     // 5, open
    ASSERT_TRUE(log->close());
  }
  EXPECT_TRUE(std::filesystem::exists(dir() / snapshot_file_name(6)));
  auto log = open_log(small_config(), /*clean=*/true);
  auto retry = append(*log, producer_batch(0, 0, 2, false, 2));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, 3);
  EXPECT_EQ(log->last_stable_offset(), 5);
  ASSERT_EQ(log->aborted_transactions(0, 6).size(), 1u);
}

TEST_F(partition_log_transactions, after_a_crash_state_is_rebuilt_from_the_log_without_any_snapshot) {
  {
    auto log = open_log(small_config());
    ASSERT_TRUE(append(*log, producer_batch(0, 0, 2, true, 1)));   // 0-1
    ASSERT_TRUE(log->append_marker(1, 0, 0, false));               // 2: abort
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(append(*log, producer_batch(0, i * 2, 2, false, 2)));  // 3-12
    ASSERT_TRUE(append(*log, producer_batch(0, 0, 1, true, 3)));   // 13, open
    ASSERT_TRUE(log->flush());
    // No close(): a kill -9 leaves no snapshot at the log end.
  }
  for (const auto& e : std::filesystem::directory_iterator(dir()))
    EXPECT_NE(e.path().extension(), ".snapshot") << e.path();
  std::filesystem::remove(dir() / txn_index_file_name(0));  // lost with the crash: rebuilt
  auto log = open_log(small_config(), /*clean=*/false, /*recovery_point=*/0);
  ASSERT_NE(log, nullptr);
  // Every one of the five remembered batches is still recognised.
  for (int i = 0; i < 5; ++i) {
    auto retry = append(*log, producer_batch(0, i * 2, 2, false, 2));
    ASSERT_TRUE(retry);
    EXPECT_TRUE(retry->duplicate) << i;
    EXPECT_EQ(retry->base_offset, 3 + 2 * i);
  }
  auto next = append(*log, producer_batch(0, 10, 1, false, 2));
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->duplicate);
  EXPECT_EQ(log->last_stable_offset(), 13);
  ASSERT_EQ(log->aborted_transactions(0, 3).size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir() / txn_index_file_name(0)));
}

TEST_F(partition_log_transactions, a_roll_writes_a_snapshot_that_a_crash_restart_replays_from) {
  auto cfg = small_config();
  cfg.segment_bytes = 400;
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(append(*log, producer_batch(0, i, 1)));
    ASSERT_TRUE(log->flush());
    ASSERT_GT(log->segment_count(), 1u);
  }
  bool any_snapshot = false;
  for (const auto& e : std::filesystem::directory_iterator(dir())) any_snapshot |= e.path().extension() == ".snapshot";
  EXPECT_TRUE(any_snapshot);
  auto log = open_log(cfg, /*clean=*/false, /*recovery_point=*/12);
  auto retry = append(*log, producer_batch(0, 11, 1));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, 11);
  auto gap = append(*log, producer_batch(0, 13, 1));
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error(), errc::out_of_order_sequence);
}

// Rolls, close() and a roll after a restart each write a snapshot; only the newest two stay, found
// without listing the directory (a roll keeps the offsets it wrote and loaded).
TEST_F(partition_log_transactions, only_the_two_newest_snapshots_are_kept_across_rolls_and_restarts) {
  auto cfg = small_config();
  cfg.segment_bytes = 400;
  const auto snapshots_on_disk = [&] {
    std::vector<std::int64_t> out;
    for (const auto& e : std::filesystem::directory_iterator(dir()))
      if (auto o = parse_segment_file_name(e.path().filename().string(), snapshot_suffix)) out.push_back(*o);
    std::sort(out.begin(), out.end());
    return out;
  };
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 24; ++i) ASSERT_TRUE(append(*log, producer_batch(0, i, 1)));
    ASSERT_GT(log->segment_count(), 4u);
    const auto segments = log->segments();
    EXPECT_EQ(snapshots_on_disk(), (std::vector<std::int64_t>{segments[segments.size() - 2]->base_offset(),
                                                              segments.back()->base_offset()}));
    ASSERT_TRUE(log->close());
  }
  EXPECT_EQ(snapshots_on_disk().size(), 2u);
  EXPECT_EQ(snapshots_on_disk().back(), 24);  // close(): the log end
  // An older snapshot a crash left behind is pruned too: the restart loaded it.
  std::filesystem::copy_file(dir() / snapshot_file_name(24), dir() / snapshot_file_name(1));
  auto log = open_log(cfg, /*clean=*/true);
  for (int i = 24; i < 36; ++i) ASSERT_TRUE(append(*log, producer_batch(0, i, 1)));
  const auto segments = log->segments();
  EXPECT_EQ(snapshots_on_disk(),
            (std::vector<std::int64_t>{segments[segments.size() - 2]->base_offset(), segments.back()->base_offset()}));
}

TEST_F(partition_log_transactions, a_torn_snapshot_is_ignored_and_the_log_replayed) {
  {
    auto log = open_log(small_config());
    ASSERT_TRUE(append(*log, producer_batch(0, 0, 2)));
    ASSERT_TRUE(log->close());
  }
  const auto snap = dir() / snapshot_file_name(2);
  ASSERT_TRUE(std::filesystem::exists(snap));
  std::filesystem::resize_file(snap, std::filesystem::file_size(snap) - 3);
  auto log = open_log(small_config(), /*clean=*/true);
  auto retry = append(*log, producer_batch(0, 0, 2));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->duplicate);
}

TEST_F(partition_log_transactions, idle_producers_expire) {
  auto log = open_log(small_config());
  ASSERT_TRUE(append(*log, producer_batch(0, 0, 1, false, 1)));
  ASSERT_TRUE(append(*log, producer_batch(0, 0, 1, true, 2)));  // open transaction: kept
  clock.advance(1000);
  EXPECT_EQ(log->expire_producers(500), 1u);
  ASSERT_EQ(log->producers().size(), 1u);
  EXPECT_EQ(log->producers()[0].producer_id, 2);
}

}  // namespace
}  // namespace spate::storage::test
