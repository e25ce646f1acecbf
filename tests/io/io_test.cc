#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>

#include "io/blocking_pool.h"
#include "io/clock.h"
#include "io/fault_injection.h"
#include "io/file.h"

namespace spate::io {
namespace {

struct tmpdir {
  tmpdir() {
    std::string t = (std::filesystem::temp_directory_path() / "spate-io-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~tmpdir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

base::byte_span bytes(std::string_view s) {
  return base::byte_span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

TEST(blocking_pool, runs_every_submitted_task_and_drain_waits_for_them) {
  std::atomic<int> n{0};
  {
    blocking_pool pool(3);
    for (int i = 0; i < 100; ++i) pool.submit([&] { n.fetch_add(1); });
    pool.drain();
    EXPECT_EQ(n.load(), 100);
    // Tasks may submit tasks; the destructor still runs them all.
    pool.submit([&] { pool.submit([&] { n.fetch_add(1); }); });
  }
  EXPECT_EQ(n.load(), 101);
}

TEST(file, positional_writes_and_reads_round_trip) {
  tmpdir d;
  auto& fs = posix_file_system();
  auto f = fs.open(d.path / "f", {.write = true, .create = true});
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->pwrite(bytes("hello world"), 0));
  ASSERT_TRUE((*f)->datasync());
  std::uint8_t out[5];
  EXPECT_EQ(*(*f)->pread(out, 6), 5u);
  EXPECT_EQ(std::string(out, out + 5), "world");
  EXPECT_EQ(*(*f)->pread(out, 9), 2u);  // short at end of file
  ASSERT_TRUE((*f)->truncate(5));
  EXPECT_EQ(*(*f)->size(), 5u);
  EXPECT_FALSE(fs.open(d.path / "f", {.create = true, .exclusive = true}));
}

std::uint64_t allocated_bytes(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

TEST(file, reserve_allocates_blocks_past_the_end_without_changing_the_file_and_truncate_gives_them_back) {
  tmpdir d;
  auto& fs = posix_file_system();
  const auto path = d.path / "f";
  auto f = fs.open(path, {.write = true, .create = true});
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->pwrite(bytes("hello"), 0));
  const auto reserved = (*f)->reserve(0, std::uint64_t{4} << 20);
  if (!reserved && reserved.error() == std::errc::operation_not_supported)
    GTEST_SKIP() << "the temporary directory's filesystem cannot reserve blocks";
  ASSERT_TRUE(reserved) << reserved.error().message();
  EXPECT_EQ(*(*f)->size(), 5u);
  EXPECT_GE(allocated_bytes(path), std::uint64_t{4} << 20);
  std::uint8_t out[5];
  EXPECT_EQ(*(*f)->pread(out, 0), 5u);
  EXPECT_EQ(std::string(out, out + 5), "hello");
  ASSERT_TRUE((*f)->truncate(5));
  EXPECT_EQ(*(*f)->size(), 5u);
  EXPECT_LT(allocated_bytes(path), std::uint64_t{1} << 20);
}

TEST(file, write_file_atomically_replaces_contents) {
  tmpdir d;
  auto& fs = posix_file_system();
  ASSERT_TRUE(write_file_atomically(fs, d.path / "meta", bytes("one")));
  ASSERT_TRUE(write_file_atomically(fs, d.path / "meta", bytes("two!")));
  auto b = read_whole_file(fs, d.path / "meta");
  EXPECT_EQ(std::string(b->begin(), b->end()), "two!");
  EXPECT_FALSE(std::filesystem::exists(d.path / "meta.tmp"));
}

TEST(file, a_held_lock_file_refuses_a_second_lock) {
  tmpdir d;
  auto& fs = posix_file_system();
  auto first = fs.lock(d.path / ".lock");
  ASSERT_TRUE(first);
  auto second = fs.lock(d.path / ".lock");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), std::errc::resource_unavailable_try_again);
  first.value().reset();
  EXPECT_TRUE(fs.lock(d.path / ".lock"));
}

TEST(fault_injection, a_crash_drops_unsynced_writes_and_unsynced_new_files) {
  tmpdir d;
  fault_injecting_file_system fs;
  {
    auto synced = fs.open(d.path / "synced", {.write = true, .create = true});
    ASSERT_TRUE((*synced)->pwrite(bytes("durable"), 0));
    ASSERT_TRUE((*synced)->datasync());
    ASSERT_TRUE(fs.sync_directory(d.path));
    ASSERT_TRUE((*synced)->pwrite(bytes("+lost"), 7));
    auto unsynced_name = fs.open(d.path / "new", {.write = true, .create = true});
    ASSERT_TRUE((*unsynced_name)->pwrite(bytes("x"), 0));
    ASSERT_TRUE((*unsynced_name)->datasync());  // data synced, directory entry not
  }
  fs.crash();
  EXPECT_EQ(std::filesystem::file_size(d.path / "synced"), 7u);
  EXPECT_FALSE(std::filesystem::exists(d.path / "new"));
}

TEST(fault_injection, sync_failures_can_start_after_n_successes_and_reads_are_counted) {
  tmpdir d;
  fault_injecting_file_system fs;
  auto f = fs.open(d.path / "f", {.write = true, .create = true});
  fs.fail_syncs_after(2);
  EXPECT_TRUE((*f)->datasync());
  EXPECT_TRUE((*f)->datasync());
  EXPECT_FALSE((*f)->datasync());
  fs.set_sync_error(false);
  EXPECT_TRUE((*f)->datasync());
  EXPECT_EQ(fs.datasyncs(), 4u);
  ASSERT_TRUE((*f)->pwrite(bytes("abc"), 0));
  std::uint8_t out[3];
  ASSERT_TRUE((*f)->pread(out, 0));
  EXPECT_EQ(fs.bytes_read(), 3u);
  fs.set_write_error(true);
  EXPECT_FALSE((*f)->pwrite(bytes("abc"), 0));
}

TEST(clock, the_manual_clock_moves_only_when_told) {
  manual_clock c(1000);
  EXPECT_EQ(c.now_ms(), 1000);
  c.advance(5);
  EXPECT_EQ(c.now_ms(), 1005);
  c.set(7);
  EXPECT_EQ(c.now_ms(), 7);
  EXPECT_GT(default_clock().now_ms(), 1'600'000'000'000);
}

}  // namespace
}  // namespace spate::io
