// A failed partition log (write or fdatasync error) recovered in place, without a restart: it
// refuses writes while failed, comes back once the fault clears, and holds every acknowledged
// record exactly once — including an idempotent producer's retry of the batch that failed.
#include <gtest/gtest.h>

#include <fstream>

#include "helpers.h"
#include "storage/file_names.h"
#include "storage/log_manager.h"

namespace spate::storage::test {
namespace {

constexpr std::int64_t pid = 77;
constexpr std::int64_t ts = 1'700'000'000'000;

base::byte_buffer producer_batch(std::int32_t first_seq, int records) {
  model::record_batch_builder b(model::compression_type::none, 0);
  b.set_producer(pid, 0, first_seq);
  base::byte_buffer value(16, 'x');
  for (int i = 0; i < records; ++i) b.append(ts + i, std::nullopt, base::byte_span(value));
  return b.build();
}

// append() takes the bytes as a mutable span (it rewrites offsets in place).
result<append_result> try_append(partition_log& log, base::byte_buffer batch) { return log.append(batch); }

// What a reader finds below the high watermark: per batch, its base offset and first sequence.
struct stored_batch {
  std::int64_t base_offset;
  std::int32_t base_sequence;
  friend bool operator==(const stored_batch&, const stored_batch&) = default;
};

std::vector<stored_batch> read_all(const partition_log& log) {
  std::vector<stored_batch> out;
  base::byte_buffer buf;
  std::int64_t next = log.log_start_offset();
  while (next < log.high_watermark()) {
    auto r = log.read(next, 1 << 20, log.high_watermark(), &buf);
    EXPECT_TRUE(r);
    if (!r || r->records.empty()) break;
    for (auto b : batches_of(r->records)) {
      auto h = model::parse_batch_header(b);
      EXPECT_TRUE(h);
      EXPECT_EQ(h->base_offset, next) << "offsets must stay dense";
      out.push_back({h->base_offset, h->base_sequence});
      next = h->last_offset() + 1;
    }
  }
  return out;
}

struct failure_recovery : log_fixture {
  log_config page_cache_config() {
    auto c = small_config();
    c.flush_messages = 1'000'000;  // acknowledged when written (Kafka's default policy)
    c.flush_ms = INT64_MAX;
    return c;
  }

  // Appends `batch` and waits for it to be durable: the acknowledgement of acks=all.
  result<append_result> append_acked(partition_log& log, base::byte_buffer batch, errc& outcome) {
    auto r = log.append(batch);
    if (!r) {
      outcome = r.error();
      return r;
    }
    outcome = errc::shutting_down;  // overwritten by the callback
    log.on_durable(r->last_offset, [&outcome](errc e) { outcome = e; });
    pool.drain();
    return r;
  }
};

TEST_F(failure_recovery, a_failed_fsync_is_recovered_in_place_and_the_unacknowledged_tail_is_cut) {
  auto log = open_log(small_config());
  errc outcome;
  ASSERT_TRUE(append_acked(*log, producer_batch(0, 2), outcome));
  ASSERT_EQ(outcome, errc::success);
  const auto durable_end = log->high_watermark();

  fs.set_sync_error(true);
  auto lost = append_acked(*log, producer_batch(2, 3), outcome);
  ASSERT_TRUE(lost);  // written to the page cache, never acknowledged:
  EXPECT_NE(outcome, errc::success);
  ASSERT_TRUE(log->failed());
  EXPECT_GE(log->failed_at_ms(), 0);
  EXPECT_EQ(try_append(*log, producer_batch(5, 1)).error(), errc::log_failed);

  // Still failing: recovery cannot sync, the log stays failed and may be tried again.
  auto early = log->recover_failed();
  ASSERT_FALSE(early);
  EXPECT_TRUE(log->failed());

  fs.set_sync_error(false);
  auto r = log->recover_failed();
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_TRUE(r->recovered);
  EXPECT_FALSE(log->failed());
  EXPECT_EQ(log->failed_at_ms(), -1);
  EXPECT_EQ(log->log_end_offset(), durable_end);
  EXPECT_EQ(log->high_watermark(), durable_end);
  EXPECT_EQ(log->recovery_point(), durable_end);

  // The producer retries the batch that got the error: with the bytes cut, it is new and written
  // once; had producer state been kept in memory it would be taken for a duplicate and lost.
  auto retry = append_acked(*log, producer_batch(2, 3), outcome);
  ASSERT_TRUE(retry) << to_string(retry.error());
  EXPECT_FALSE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, durable_end);
  EXPECT_EQ(outcome, errc::success);
  ASSERT_TRUE(append_acked(*log, producer_batch(5, 1), outcome));
  EXPECT_EQ(outcome, errc::success);
  const std::vector<stored_batch> want{{0, 0}, {2, 2}, {5, 5}};
  EXPECT_EQ(read_all(*log), want);

  // And the same after a restart from these files.
  ASSERT_TRUE(log->close());
  log.reset();
  log = open_log(small_config());
  EXPECT_EQ(read_all(*log), want);
}

TEST_F(failure_recovery, a_page_cache_log_keeps_its_acknowledged_tail_and_recognises_a_retried_batch) {
  auto log = open_log(page_cache_config());
  errc outcome;
  ASSERT_TRUE(append_acked(*log, producer_batch(0, 2), outcome));
  auto second = append_acked(*log, producer_batch(2, 2), outcome);
  ASSERT_TRUE(second);
  ASSERT_EQ(outcome, errc::success);  // acknowledged from the page cache
  const auto end = log->log_end_offset();
  ASSERT_EQ(log->high_watermark(), end);

  fs.set_sync_error(true);
  EXPECT_FALSE(log->flush());
  ASSERT_TRUE(log->failed());
  fs.set_sync_error(false);
  auto r = log->recover_failed();
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->truncated_bytes, 0u);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(log->high_watermark(), end);
  EXPECT_EQ(log->recovery_point(), end);  // the recovery synced what it kept

  // A client that missed the acknowledgement retries: the rebuilt producer state knows the batch.
  auto retry = try_append(*log, producer_batch(2, 2));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, second->base_offset);
  EXPECT_EQ(log->log_end_offset(), end);
  const std::vector<stored_batch> want{{0, 0}, {2, 2}};
  EXPECT_EQ(read_all(*log), want);
}

TEST_F(failure_recovery, a_failed_write_leaves_a_torn_tail_that_recovery_cuts) {
  auto log = open_log(small_config());
  errc outcome;
  ASSERT_TRUE(append_acked(*log, producer_batch(0, 1), outcome));
  fs.set_write_error(true);
  auto failed = try_append(*log, producer_batch(1, 4));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), errc::io_error);
  ASSERT_TRUE(log->failed());
  // What a partial write (ENOSPC half-way) leaves behind: part of a batch after the last one.
  const auto torn = producer_batch(1, 4);
  {
    std::ofstream f(dir() / log_file_name(0), std::ios::binary | std::ios::app);
    f.write(reinterpret_cast<const char*>(torn.data()), static_cast<std::streamsize>(torn.size() / 2));
  }
  fs.set_write_error(false);
  auto r = log->recover_failed();
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->truncated_bytes, torn.size() / 2);
  auto retry = append_acked(*log, producer_batch(1, 4), outcome);
  ASSERT_TRUE(retry);
  EXPECT_FALSE(retry->duplicate);
  EXPECT_EQ(outcome, errc::success);
  const std::vector<stored_batch> want{{0, 0}, {1, 1}};
  EXPECT_EQ(read_all(*log), want);
}

TEST_F(failure_recovery, a_segment_rolled_at_the_recovery_point_is_emptied_and_stays_the_active_one) {
  auto cfg = small_config();
  cfg.segment_bytes = 150;  // every batch after the first rolls
  auto log = open_log(cfg);
  errc outcome;
  ASSERT_TRUE(append_acked(*log, producer_batch(0, 2), outcome));
  fs.set_sync_error(true);
  // Rolls (a new segment at offset 2) and writes there; the sync fails.
  ASSERT_TRUE(append_acked(*log, producer_batch(2, 2), outcome));
  EXPECT_NE(outcome, errc::success);
  ASSERT_TRUE(log->failed());
  fs.set_sync_error(false);
  auto r = log->recover_failed();
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(log->log_end_offset(), 2);
  EXPECT_EQ(log->segment_count(), 2u);
  auto retry = append_acked(*log, producer_batch(2, 2), outcome);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->base_offset, 2);
  EXPECT_EQ(outcome, errc::success);
  const std::vector<stored_batch> want{{0, 0}, {2, 2}};
  EXPECT_EQ(read_all(*log), want);
}

TEST_F(failure_recovery, a_healthy_or_closed_log_is_left_alone) {
  auto log = open_log(small_config());
  auto r = log->recover_failed();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->recovered);
  fs.set_write_error(true);
  EXPECT_FALSE(try_append(*log, producer_batch(0, 1)));
  fs.set_write_error(false);
  ASSERT_TRUE(log->failed());
  (void)log->close();
  auto closed = log->recover_failed();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error(), errc::shutting_down);
}

// ---- The log manager's retries.

struct manager_recovery : ::testing::Test {
  temp_dir tmp;
  io::fault_injecting_file_system fs;
  io::manual_clock clock;
  io::blocking_pool pool{2, "test-recovery"};

  std::unique_ptr<log_manager> open() {
    storage_config cfg;
    cfg.data_dir = tmp.path() / "data";
    auto m = log_manager::open(cfg, {&fs, &clock, &pool});
    EXPECT_TRUE(m);
    return m ? std::move(*m) : nullptr;
  }
};

TEST_F(manager_recovery, failed_logs_are_retried_at_once_then_with_doubling_backoff) {
  auto m = open();
  ASSERT_TRUE(m->create_topic("t", 2));
  auto log = m->get("t", 1);
  fs.set_write_error(true);
  ASSERT_FALSE(try_append(*log, producer_batch(0, 1)));
  ASSERT_TRUE(log->failed());
  EXPECT_EQ(m->failed_log_count(), 1u);

  // A write error alone lets recovery through (the cut tail is re-synced): so keep syncs failing.
  fs.set_sync_error(true);
  fs.set_write_error(false);
  auto pass = m->recover_failed_logs();
  EXPECT_EQ(pass.failed, 1u);
  EXPECT_EQ(pass.attempted, 1u);  // the first retry is immediate
  EXPECT_EQ(pass.recovered, 0u);
  EXPECT_EQ(m->recover_failed_logs().attempted, 0u);  // then 1 s later
  clock.advance(999);
  EXPECT_EQ(m->recover_failed_logs().attempted, 0u);
  clock.advance(1);
  EXPECT_EQ(m->recover_failed_logs().attempted, 1u);
  clock.advance(1999);
  EXPECT_EQ(m->recover_failed_logs().attempted, 0u);  // 2 s after that
  clock.advance(1);
  EXPECT_EQ(m->recover_failed_logs().attempted, 1u);

  fs.set_sync_error(false);
  clock.advance(4000);
  pass = m->recover_failed_logs();
  EXPECT_EQ(pass.recovered, 1u);
  EXPECT_FALSE(log->failed());
  EXPECT_EQ(m->failed_log_count(), 0u);
  EXPECT_EQ(m->recoveries_total(), 1u);
  // The same shared_ptr works again.
  EXPECT_TRUE(try_append(*log, producer_batch(0, 1)));
  EXPECT_EQ(m->get("t", 1), log);

  // Failing again right after recovering continues the backoff instead of retrying at once.
  fs.set_write_error(true);
  ASSERT_FALSE(try_append(*log, producer_batch(1, 1)));
  fs.set_write_error(false);
  EXPECT_EQ(m->recover_failed_logs().attempted, 0u);
  clock.advance(8000);
  EXPECT_EQ(m->recover_failed_logs().recovered, 1u);
  EXPECT_EQ(m->recoveries_total(), 2u);
}

TEST_F(manager_recovery, the_descriptor_shortage_message_says_what_to_do) {
  EXPECT_EQ(log_manager::too_many_open_files_message(100),
            "too many open files: 100 partitions need at least 100 descriptors; raise the limit (ulimit -n)");
  EXPECT_EQ(from_os_error(std::make_error_code(std::errc::too_many_files_open)), errc::too_many_open_files);
  EXPECT_EQ(from_os_error(std::make_error_code(std::errc::no_space_on_device)), errc::io_error);
}

}  // namespace
}  // namespace spate::storage::test
