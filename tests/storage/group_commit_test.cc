// Group commit and failure propagation: many producers share fsyncs; every callback fires exactly
// once; a failed fsync fails the log until it is recovered (failure_recovery_test.cc).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "helpers.h"

namespace spate::storage::test {
namespace {

using group_commit = log_fixture;

// Closing syncs what is not yet durable and nothing else: a new broker's idle partitions (its 100
// internal ones) close without an fsync or a producer snapshot each, while a partition with
// appends syncs its log and both index files.
TEST_F(group_commit, close_syncs_only_what_was_written_since_the_last_sync) {
  auto idle = open_log(small_config());
  fs.reset_counters();
  ASSERT_TRUE(idle->close());
  EXPECT_EQ(fs.datasyncs(), 0u);
  for (const auto& entry : std::filesystem::directory_iterator(dir())) {
    EXPECT_NE(entry.path().extension(), ".snapshot") << "an empty log has nothing for a snapshot to save";
  }
  idle.reset();
  std::filesystem::remove_all(dir());

  auto busy = open_log(small_config());
  for (int i = 0; i < 10; ++i) append(*busy, 5, 1000 + i, 100);  // index entries every 256 bytes
  fs.reset_counters();
  ASSERT_TRUE(busy->close());
  EXPECT_EQ(fs.datasyncs(), 3u) << "the log and its two index files";
}

TEST_F(group_commit, concurrent_appends_share_fsyncs_and_every_callback_fires) {
  auto log = open_log(small_config());
  constexpr int threads = 8;
  constexpr int per_thread = 200;
  std::atomic<int> ok{0};
  std::atomic<int> calls{0};
  fs.reset_counters();
  std::vector<std::thread> producers;
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto b = make_batch(1 + (i % 3), 1000 + i, 16 + t);
        auto r = log->append(b);
        ASSERT_TRUE(r);
        log->on_durable(r->last_offset, [&, last = r->last_offset](errc e) {
          // Durable means below the high watermark.
          if (e == errc::success && last < log->high_watermark()) ok.fetch_add(1);
          calls.fetch_add(1);
        });
      }
    });
  }
  for (auto& p : producers) p.join();
  pool.drain();
  EXPECT_EQ(calls.load(), threads * per_thread);
  EXPECT_EQ(ok.load(), threads * per_thread);
  EXPECT_EQ(log->high_watermark(), log->log_end_offset());
  EXPECT_EQ(log->recovery_point(), log->log_end_offset());
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_LT(fs.datasyncs(), static_cast<std::uint64_t>(threads * per_thread));
  // Every batch is readable, offsets dense and increasing.
  base::byte_buffer buf;
  std::int64_t expect = 0;
  int batches = 0;
  while (expect < log->high_watermark()) {
    auto r = log->read(expect, 64 << 10, log->high_watermark(), &buf);
    ASSERT_TRUE(r);
    for (auto b : batches_of(r->records)) {
      auto v = model::validate_batch(b);
      ASSERT_TRUE(v);
      EXPECT_EQ(v->base_offset(), expect);
      expect = v->last_offset() + 1;
      ++batches;
    }
  }
  EXPECT_EQ(batches, threads * per_thread);
}

TEST_F(group_commit, readers_run_concurrently_with_appends_and_see_only_durable_whole_batches) {
  auto cfg = small_config();
  cfg.segment_bytes = 16 << 10;  // several rolls during the test
  auto log = open_log(cfg);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      auto b = make_batch(2, i, 40);
      ASSERT_TRUE(log->append(b));
    }
    done = true;
  });
  std::thread reader([&] {
    base::byte_buffer buf;
    std::int64_t at = 0;
    for (;;) {
      const bool finished = done.load();
      if (finished) pool.drain();  // the last flush has run: the HW is final
      const auto hw = log->high_watermark();
      auto r = log->read(at, 8 << 10, hw, &buf);
      ASSERT_TRUE(r);
      for (auto b : batches_of(r->records)) {
        auto v = model::validate_batch(b);
        ASSERT_TRUE(v);
        ASSERT_EQ(v->base_offset(), at);
        ASSERT_LT(v->last_offset(), hw);
        at = v->last_offset() + 1;
      }
      if (finished && at >= hw) break;
    }
    EXPECT_EQ(at, 4000);
  });
  writer.join();
  reader.join();
  EXPECT_GT(log->segment_count(), 3u);
}

TEST_F(group_commit, a_failed_fsync_fails_waiters_and_every_later_write) {
  auto log = open_log(small_config());
  append(*log, 1, clock.now_ms());
  pool.drain();
  ASSERT_EQ(log->high_watermark(), 1);
  fs.set_sync_error(true);
  auto a = append(*log, 1, clock.now_ms());
  std::atomic<int> result{-1};
  log->on_durable(a.last_offset, [&](errc e) { result = static_cast<int>(e); });
  pool.drain();
  EXPECT_TRUE(result == static_cast<int>(errc::io_error) || result == static_cast<int>(errc::log_failed));
  EXPECT_TRUE(log->failed());
  EXPECT_EQ(log->high_watermark(), 1);
  // The disk "recovers"; the log does not pretend it did (the page cache may have dropped data).
  fs.set_sync_error(false);
  auto b = make_batch(1, clock.now_ms());
  EXPECT_EQ(log->append(b).error(), errc::log_failed);
  errc late = errc::success;
  log->on_durable(0, [&](errc e) { late = e; });
  EXPECT_EQ(late, errc::log_failed);
  EXPECT_FALSE(log->flush());
}

TEST_F(group_commit, a_failed_write_fails_the_log) {
  auto log = open_log(small_config());
  fs.set_write_error(true);
  auto b = make_batch(1, clock.now_ms());
  EXPECT_EQ(log->append(b).error(), errc::io_error);
  fs.set_write_error(false);
  EXPECT_EQ(log->append(b).error(), errc::log_failed);
  EXPECT_EQ(log->log_end_offset(), 0);
}

TEST_F(group_commit, close_fires_waiters_for_offsets_never_appended) {
  auto log = open_log(small_config());
  append(*log, 1, clock.now_ms());
  errc appended = errc::io_error;
  errc never = errc::success;
  log->on_durable(0, [&](errc e) { appended = e; });
  log->on_durable(100, [&](errc e) { never = e; });
  ASSERT_TRUE(log->close());
  EXPECT_EQ(appended, errc::success);
  EXPECT_EQ(never, errc::shutting_down);
  auto b = make_batch(1, 0);
  EXPECT_EQ(log->append(b).error(), errc::shutting_down);
}

}  // namespace
}  // namespace spate::storage::test
