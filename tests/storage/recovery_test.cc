// Recovery after unclean stops: torn tails cut at every byte, flipped bytes, lost indexes, and the
// promise that a clean restart reads (almost) nothing.
#include <gtest/gtest.h>

#include <fstream>

#include "helpers.h"
#include "io/file.h"
#include "storage/file_names.h"

namespace spate::storage::test {
namespace {

using recovery = log_fixture;

base::byte_buffer read_file(const std::filesystem::path& p) {
  return *io::read_whole_file(io::posix_file_system(), p);
}
void write_file(const std::filesystem::path& p, base::byte_span bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::size_t batches_read(partition_log& log) {
  base::byte_buffer buf;
  std::size_t n = 0;
  std::int64_t at = log.log_start_offset();
  while (at < log.high_watermark()) {
    auto r = log.read(at, 1 << 20, log.high_watermark(), &buf);
    EXPECT_TRUE(r);
    if (!r || r->records.empty()) break;
    n += batches_of(r->records).size();
    at = r->next_offset;
  }
  return n;
}

TEST_F(recovery, a_torn_tail_cut_at_every_byte_of_the_last_batch_keeps_exactly_the_earlier_batches) {
  auto cfg = small_config();
  std::uint64_t last_start = 0;
  base::byte_buffer full;
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 20; ++i) append(*log, 2, clock.now_ms() + i, 30);  // offsets 0..39
    last_start = log->segments().back()->size();
    append(*log, 3, clock.now_ms() + 100, 30);                              // offsets 40..42
    ASSERT_TRUE(log->close());
    full = read_file(dir() / log_file_name(0));
  }
  const auto index = read_file(dir() / index_file_name(0));
  const auto time_index = read_file(dir() / time_index_file_name(0));
  for (std::uint64_t cut = last_start; cut < full.size(); ++cut) {
    write_file(dir() / log_file_name(0), base::byte_span(full).first(cut));
    write_file(dir() / index_file_name(0), index);
    write_file(dir() / time_index_file_name(0), time_index);
    auto log = open_log(cfg, /*clean=*/false, /*recovery_point=*/0);
    ASSERT_TRUE(log);
    EXPECT_EQ(log->log_end_offset(), 40) << "cut at " << cut;
    EXPECT_EQ(log->high_watermark(), 40);
    EXPECT_EQ(log->load_stats().bytes_truncated, cut - last_start);
    EXPECT_EQ(std::filesystem::file_size(dir() / log_file_name(0)), last_start);
    EXPECT_EQ(batches_read(*log), 20u);
    // The log goes on from the right offset.
    EXPECT_EQ(append(*log, 1, clock.now_ms()).base_offset, 40);
    ASSERT_TRUE(log->close());
  }
}

TEST_F(recovery, a_flipped_byte_in_the_last_batch_is_caught_by_the_crc_and_truncated) {
  auto cfg = small_config();
  std::uint64_t last_start = 0;
  base::byte_buffer full;
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 5; ++i) append(*log, 2, clock.now_ms() + i);
    last_start = log->segments().back()->size();
    append(*log, 2, clock.now_ms() + 10);
    ASSERT_TRUE(log->close());
    full = read_file(dir() / log_file_name(0));
  }
  // Every byte the CRC covers, the CRC itself, the magic byte and the length.
  std::vector<std::uint64_t> positions;
  for (auto p = last_start + model::batch_layout::batch_length; p < full.size(); ++p)
    if (p - last_start < model::batch_layout::partition_leader_epoch || p - last_start >= model::batch_layout::magic)
      positions.push_back(p);
  for (auto p : positions) {
    auto damaged = full;
    damaged[p] ^= 0x5a;
    write_file(dir() / log_file_name(0), damaged);
    auto log = open_log(cfg, /*clean=*/false, /*recovery_point=*/0);
    ASSERT_TRUE(log);
    EXPECT_EQ(log->log_end_offset(), 10) << "flipped byte at " << p;
    EXPECT_EQ(std::filesystem::file_size(dir() / log_file_name(0)), last_start);
    log.reset();
  }
}

TEST_F(recovery, unclean_recovery_validates_from_the_recovery_point_not_the_whole_segment) {
  auto cfg = small_config();
  std::int64_t rp = 0;
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 200; ++i) append(*log, 2, clock.now_ms() + i, 100);
    ASSERT_TRUE(log->flush());
    rp = log->recovery_point();
    for (int i = 0; i < 3; ++i) append(*log, 2, clock.now_ms() + 300 + i, 100);
    drop(log);  // no clean close
  }
  auto log = open_log(cfg, /*clean=*/false, rp);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 406);
  EXPECT_EQ(log->load_stats().segments_recovered, 1u);
  const auto batch = make_batch(2, 0, 100).size();
  EXPECT_EQ(log->load_stats().bytes_validated, 3 * batch);
  EXPECT_EQ(batches_read(*log), 203u);
  // Index lookups still work across the trusted prefix and the rebuilt tail.
  base::byte_buffer buf;
  for (std::int64_t o : {0, 17, 200, 399, 400, 405}) {
    auto r = log->read(o, 1, log->high_watermark(), &buf);
    ASSERT_TRUE(r && !r->records.empty());
    auto h = *model::parse_batch_header(r->records);
    EXPECT_LE(h.base_offset, o);
    EXPECT_GE(h.last_offset(), o);
  }
}

TEST_F(recovery, a_clean_restart_reads_only_the_indexes_and_the_last_index_interval) {
  auto cfg = log_config{};  // index.interval.bytes = 4096
  std::uint64_t log_bytes = 0;
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 2000; ++i) append(*log, 2, clock.now_ms() + i, 100);
    ASSERT_TRUE(log->close());
    log_bytes = log->size_bytes();
  }
  fs.reset_counters();
  auto log = open_log(cfg, /*clean=*/true);
  ASSERT_TRUE(log);
  const auto index_bytes = std::filesystem::file_size(dir() / index_file_name(0)) +
                           std::filesystem::file_size(dir() / time_index_file_name(0));
  EXPECT_EQ(log->load_stats().segments_recovered, 0u);
  EXPECT_EQ(log->log_end_offset(), 4000);
  EXPECT_LT(fs.bytes_read(), index_bytes + 2 * 4096) << "log is " << log_bytes << " bytes";
  EXPECT_GT(log_bytes, 50 * fs.bytes_read());
  auto max = log->max_timestamp();
  EXPECT_EQ((*max)->timestamp, clock.now_ms() + 1999 + 1);
}

TEST_F(recovery, a_deleted_index_is_rebuilt_from_the_log) {
  auto cfg = small_config();
  std::size_t entries = 0;
  std::size_t time_entries = 0;
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 100; ++i) append(*log, 2, clock.now_ms() + i);
    ASSERT_TRUE(log->close());
    entries = log->segments().front()->offset_index_entries();
    time_entries = log->segments().front()->time_index_entries();
  }
  ASSERT_GT(entries, 5u);
  const auto original = read_file(dir() / index_file_name(0));
  const auto original_time = read_file(dir() / time_index_file_name(0));
  std::filesystem::remove(dir() / index_file_name(0));
  auto log = open_log(cfg, /*clean=*/true);
  EXPECT_EQ(log->load_stats().segments_recovered, 1u);
  EXPECT_EQ(log->segments().front()->offset_index_entries(), entries);
  EXPECT_EQ(read_file(dir() / index_file_name(0)), original);
  // The rebuilt time index matches too, except for the final entry written when the segment was
  // closed (a rebuild cannot know it was sealed; the entry is redundant).
  EXPECT_LE(log->segments().front()->time_index_entries(), time_entries);
  EXPECT_EQ(log->log_end_offset(), 200);
  (void)original_time;
}

TEST_F(recovery, a_corrupt_time_index_is_rebuilt_from_the_log) {
  auto cfg = small_config();
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 100; ++i) append(*log, 2, clock.now_ms() + 10 * i);
    ASSERT_TRUE(log->close());
  }
  auto bytes = read_file(dir() / time_index_file_name(0));
  ASSERT_GE(bytes.size(), 24u);
  std::fill(bytes.begin() + 12, bytes.begin() + 24, 0);  // timestamps no longer increase
  write_file(dir() / time_index_file_name(0), bytes);
  auto log = open_log(cfg, /*clean=*/true);
  EXPECT_EQ(log->load_stats().segments_recovered, 1u);
  auto r = log->offset_for_timestamp(clock.now_ms() + 505, log->high_watermark());
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->offset, 102);  // batch 51's first record (timestamp +510)
}

TEST_F(recovery, a_truncated_index_file_is_rebuilt_from_the_log) {
  auto cfg = small_config();
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 100; ++i) append(*log, 2, clock.now_ms() + i);
    ASSERT_TRUE(log->close());
  }
  auto bytes = read_file(dir() / index_file_name(0));
  write_file(dir() / index_file_name(0), base::byte_span(bytes).first(bytes.size() - 3));
  auto log = open_log(cfg, /*clean=*/true);
  EXPECT_EQ(log->load_stats().segments_recovered, 1u);
  EXPECT_EQ(read_file(dir() / index_file_name(0)), bytes);
}

TEST_F(recovery, acknowledged_appends_survive_a_crash_that_drops_unsynced_data) {
  auto cfg = small_config();
  cfg.segment_bytes = static_cast<std::int64_t>(make_batch(2, 0).size() * 4);
  std::atomic<int> acked{0};
  std::int64_t acked_end = 0;
  {
    auto log = open_log(cfg);
    for (int i = 0; i < 10; ++i) {
      auto a = append(*log, 2, clock.now_ms());
      log->on_durable(a.last_offset, [&](errc e) { acked += e == errc::success; });
    }
    pool.drain();
    ASSERT_EQ(acked.load(), 10);
    acked_end = log->high_watermark();
    // More appends whose fsync never happens: a crash may lose them.
    fs.set_sync_error(true);
    for (int i = 0; i < 3; ++i) {
      auto b = make_batch(2, clock.now_ms());
      (void)log->append(b);  // may already see the failed log
    }
    drop(log);
  }
  fs.set_sync_error(false);
  fs.crash();
  auto log = open_log(cfg, /*clean=*/false, /*recovery_point=*/0);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), acked_end);  // rolled segments' directory entries were synced
  EXPECT_GT(log->segment_count(), 1u);
  EXPECT_EQ(batches_read(*log), 10u);
}

std::size_t open_descriptors() {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator{}));
}

TEST_F(recovery, a_partition_holds_one_descriptor_per_segment_not_three) {
  auto cfg = small_config();
  cfg.segment_bytes = 2048;
  const auto before = open_descriptors();
  auto log = open_log(cfg);
  ASSERT_TRUE(log);
  EXPECT_EQ(open_descriptors() - before, 1u) << "an idle partition: its active segment's .log";
  for (int i = 0; i < 30; ++i) append(*log, 2, clock.now_ms() + i, 100);
  pool.drain();
  ASSERT_GT(log->segments().size(), 2u);
  EXPECT_EQ(open_descriptors() - before, log->segments().size());
  ASSERT_TRUE(log->close());
}

TEST_F(recovery, index_entries_reach_their_files_at_flush_seal_and_close_not_on_every_append) {
  auto cfg = small_config();  // an index entry every 256 bytes
  cfg.flush_messages = no_limit;
  auto log = open_log(cfg);
  ASSERT_TRUE(log);
  for (int i = 0; i < 40; ++i) append(*log, 2, clock.now_ms() + i, 100);
  const auto entries = log->segments().back()->offset_index_entries();
  ASSERT_GT(entries, 5u);
  EXPECT_EQ(std::filesystem::file_size(dir() / index_file_name(0)), 0u) << "appends keep entries in memory";
  log->flush_if_due();  // not due: writes the index entries without an fsync of the log
  EXPECT_EQ(std::filesystem::file_size(dir() / index_file_name(0)), entries * offset_index::entry_size);
  EXPECT_EQ(log->recovery_point(), 0);
  for (int i = 0; i < 10; ++i) append(*log, 2, clock.now_ms() + 100 + i, 100);
  ASSERT_TRUE(log->close());
  const auto all = log->segments().back()->offset_index_entries();
  EXPECT_GT(all, entries);
  EXPECT_EQ(std::filesystem::file_size(dir() / index_file_name(0)), all * offset_index::entry_size);
  // A clean restart trusts them.
  auto reopened = open_log(cfg, /*clean=*/true);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->load_stats().segments_recovered, 0u);
  EXPECT_EQ(reopened->log_end_offset(), 100);
  EXPECT_EQ(batches_read(*reopened), 50u);
}

}  // namespace
}  // namespace spate::storage::test
