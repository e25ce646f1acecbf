// The page-cache window (partition_log::options::page_cache_keep_bytes): appended data older than
// the window is written back and dropped from the page cache, stays readable, and a cold read
// drops what it read. Residency is checked on the real files with mincore(2).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <latch>
#include <limits>

#include "helpers.h"
#include "storage/file_names.h"

namespace spate::storage::test {
namespace {

constexpr std::uint64_t page = 4096;
constexpr std::uint64_t mib = 1U << 20;

// Pages of [from, to) of `path` that are in the page cache.
std::uint64_t resident_pages(const std::filesystem::path& path, std::uint64_t from, std::uint64_t to) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << path;
  const auto size = std::filesystem::file_size(path);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  EXPECT_NE(map, MAP_FAILED);
  std::vector<unsigned char> vec((size + page - 1) / page);
  EXPECT_EQ(::mincore(map, size, vec.data()), 0);
  std::uint64_t n = 0;
  for (auto p = from / page; p < std::min<std::uint64_t>(vec.size(), (to + page - 1) / page); ++p) n += vec[p] & 1U;
  ::munmap(map, size);
  ::close(fd);
  return n;
}

struct page_cache : log_fixture {
  log_config page_cache_durability() {
    auto c = small_config();
    c.flush_messages = std::numeric_limits<std::int64_t>::max();
    return c;
  }
  // Appends batches of 64 records of 1000 bytes until the log holds `bytes`.
  void append_bytes(partition_log& log, std::uint64_t bytes) {
    while (log.size_bytes() < bytes) append(log, 64, 1000, 1000);
  }
  // Reads the whole log and checks every batch (CRC and dense offsets).
  void expect_intact(partition_log& log) {
    base::byte_buffer buf;
    std::int64_t next = log.log_start_offset();
    while (next < log.log_end_offset()) {
      auto r = log.read(next, 1 << 20, log.log_end_offset(), &buf);
      ASSERT_TRUE(r);
      for (auto b : batches_of(r->records)) {
        auto v = model::validate_batch(b);
        ASSERT_TRUE(v);
        ASSERT_EQ(v->base_offset(), next);
        next = v->last_offset() + 1;
      }
    }
  }
  std::filesystem::path segment_file(std::int64_t base) const { return dir() / log_file_name(base); }
};

TEST_F(page_cache, appends_older_than_the_window_leave_the_cache_and_stay_readable) {
  page_cache_keep_bytes = static_cast<std::int64_t>(mib);
  auto log = open_log(page_cache_durability());
  append_bytes(*log, 12 * mib);
  pool.drain();
  const auto size = log->size_bytes();
  // Trims run every step (1 MiB here) of appends; the last may still be ahead.
  EXPECT_GE(fs.bytes_dropped_from_cache(), size - 3 * mib);
  // The last drop ended at least a window and a step before the end; a folio (up to 2 MiB) across
  // that end stays until the next one.
  EXPECT_EQ(resident_pages(segment_file(0), 0, size - 4 * mib), 0U);
  EXPECT_GT(resident_pages(segment_file(0), size - mib, size), 0U);

  // A read of the dropped part drops what it read again; the window is left alone.
  fs.reset_counters();
  expect_intact(*log);
  EXPECT_GE(fs.bytes_dropped_from_cache(), size - 4 * mib);
  EXPECT_EQ(resident_pages(segment_file(0), 0, size - 5 * mib), 0U);
  EXPECT_GT(resident_pages(segment_file(0), size - mib, size), 0U);
  // Durability is the flush policy's alone: page-cache durability has not synced anything.
  EXPECT_EQ(log->recovery_point(), 0);
}

TEST_F(page_cache, the_window_spans_segments_and_older_segments_leave_whole) {
  page_cache_keep_bytes = static_cast<std::int64_t>(3 * mib);
  auto cfg = page_cache_durability();
  cfg.segment_bytes = static_cast<std::int64_t>(2 * mib);
  auto log = open_log(cfg);
  append_bytes(*log, 12 * mib);
  pool.drain();
  append(*log, 1, 2000);  // one more trim, after the last roll
  pool.drain();
  const auto segs = log->segments();
  ASSERT_GE(segs.size(), 6U);
  // The newest segments hold the window; the older ones are out of the cache entirely.
  std::uint64_t newer = 0;
  for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
    const auto& s = **it;
    if (newer >= 3 * mib + 2 * mib) {  // beyond the window and the step
      EXPECT_EQ(resident_pages(segment_file(s.base_offset()), 0, s.size()), 0U) << "segment " << s.base_offset();
    }
    newer += s.size();
  }
  EXPECT_GT(resident_pages(segment_file(segs.back()->base_offset()), 0, segs.back()->size()), 0U);
  expect_intact(*log);
}

// Descriptors of this process open on deleted files under `dir`.
int deleted_files_held_open(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.starts_with(dir.string()) && target.ends_with(" (deleted)")) ++n;
  }
  return n;
}

TEST_F(page_cache, segments_waiting_for_a_trim_do_not_hold_deleted_files_open) {
  page_cache_keep_bytes = static_cast<std::int64_t>(64 * mib);  // every sealed segment is in the window
  auto cfg = page_cache_durability();
  cfg.segment_bytes = static_cast<std::int64_t>(mib);
  cfg.retention_bytes = static_cast<std::int64_t>(2 * mib);
  auto log = open_log(cfg);
  append_bytes(*log, 8 * mib);
  pool.drain();
  auto r = log->enforce_retention();
  ASSERT_TRUE(r);
  EXPECT_GE(r->segments_deleted, 4U);
  // The disk space of deleted segments is free once retention returns (the disk quota counts on it).
  EXPECT_EQ(deleted_files_held_open(dir()), 0);
  append_bytes(*log, 10 * mib);  // trims still run
  pool.drain();
  expect_intact(*log);
}

TEST_F(page_cache, without_a_window_nothing_is_dropped) {
  auto log = open_log(page_cache_durability());
  append_bytes(*log, 4 * mib);
  pool.drain();
  expect_intact(*log);
  EXPECT_EQ(fs.bytes_dropped_from_cache(), 0U);
  EXPECT_GT(resident_pages(segment_file(0), 0, 4 * mib), 0U);
}

TEST_F(page_cache, a_failed_write_back_fails_the_log) {
  page_cache_keep_bytes = static_cast<std::int64_t>(mib);
  auto log = open_log(page_cache_durability());
  // Both pool threads held, so the trim the appends schedule runs only after the fault is set.
  std::latch hold(1);
  for (int i = 0; i < 2; ++i) pool.submit([&] { hold.wait(); });
  append_bytes(*log, 2 * mib);
  fs.set_write_error(true);
  hold.count_down();
  pool.drain();
  EXPECT_TRUE(log->failed());
  fs.set_write_error(false);
  auto b = make_batch(1, 3000);
  auto r = log->append(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::log_failed);
}

}  // namespace
}  // namespace spate::storage::test
