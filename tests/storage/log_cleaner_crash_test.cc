// Crash safety of the log cleaner's swap: the file system dies after N more name operations
// (every later create, rename, unlink or directory sync fails, as if the process had died there),
// for every N a cleaning uses; the log is then reopened. It must read exactly as before or exactly
// as after the cleaning, never a mix, and hold no `.cleaned`/`.swap` file. A second variant also
// drops everything not made durable (a machine crash) at each point right after a directory sync.
#include <gtest/gtest.h>

#include <mutex>

#include "compaction_helpers.h"

namespace spate::storage::test {
namespace {

// Passes everything to `base` until `budget` name operations have been done; fails them after.
class dying_file_system final : public io::file_system {
 public:
  explicit dying_file_system(io::file_system& base) : _base(base) {}
  void set_budget(std::int64_t n) {
    std::lock_guard lock(_mutex);
    _budget = n;
    _died = false;
    _ops.clear();
  }
  bool died() const {
    std::lock_guard lock(_mutex);
    return _died;
  }
  // Kinds of the name operations done since set_budget, in order.
  std::vector<std::string> ops() const {
    std::lock_guard lock(_mutex);
    return _ops;
  }

  io::result<std::unique_ptr<io::file>> open(const std::filesystem::path& path, io::open_options opts) override {
    if ((opts.write || opts.create) && !spend("open")) return base::failure(std::make_error_code(std::errc::io_error));
    return _base.open(path, opts);
  }
  io::result<void> rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (!spend("rename")) return base::failure(std::make_error_code(std::errc::io_error));
    return _base.rename(from, to);
  }
  io::result<void> unlink(const std::filesystem::path& path) override {
    if (!spend("unlink")) return base::failure(std::make_error_code(std::errc::io_error));
    return _base.unlink(path);
  }
  io::result<void> remove_all(const std::filesystem::path& path) override { return _base.remove_all(path); }
  io::result<void> create_directory(const std::filesystem::path& path) override { return _base.create_directory(path); }
  io::result<void> sync_directory(const std::filesystem::path& path) override {
    if (!spend("sync_directory")) return base::failure(std::make_error_code(std::errc::io_error));
    return _base.sync_directory(path);
  }
  io::result<std::vector<std::string>> list_directory(const std::filesystem::path& path) override {
    return _base.list_directory(path);
  }
  io::result<bool> exists(const std::filesystem::path& path) override { return _base.exists(path); }
  io::result<bool> is_directory(const std::filesystem::path& path) override { return _base.is_directory(path); }
  io::result<std::unique_ptr<io::file_lock>> lock(const std::filesystem::path& path) override {
    return _base.lock(path);
  }

 private:
  bool spend(const char* kind) {
    std::lock_guard lock(_mutex);
    if (_budget == 0) {
      _died = true;
      return false;
    }
    if (_budget > 0) --_budget;
    _ops.emplace_back(kind);
    return true;
  }
  io::file_system& _base;
  mutable std::mutex _mutex;  // the log's flush tasks use the file system too
  std::int64_t _budget = -1;  // -1: unlimited
  bool _died = false;
  std::vector<std::string> _ops;
};

struct CleanerCrash : log_fixture {
  io_throttle unlimited{0};

  std::shared_ptr<partition_log> open_on(io::file_system& f, const std::filesystem::path& d, bool clean,
                                         std::int64_t rp) {
    std::filesystem::create_directories(d);
    partition_log::options o;
    o.topic = "t";
    o.dir = d;
    o.config = compact_config(700);
    o.fs = &f;
    o.clock = &clock;
    o.pool = &pool;
    o.clean_shutdown = clean;
    o.recovery_point = rp;
    auto r = partition_log::open(o);
    EXPECT_TRUE(r) << (r ? "" : to_string(r.error()));
    return r ? *r : nullptr;
  }

  // A deterministic history with overwrites, a tombstone and an aborted transaction, cleaned once
  // already (so the cleaning under test merges segments), then more dirty data.
  void populate(partition_log& log) {
    int n = 0;
    auto put = [&](std::vector<kv> records, std::int64_t pid = -1, std::int32_t seq = -1, bool txn = false) {
      batch_spec s;
      s.records = std::move(records);
      s.timestamp = clock.now_ms() - 100;
      s.producer_id = pid;
      s.base_sequence = seq;
      s.transactional = txn;
      s.compression = (++n % 4 == 0) ? model::compression_type::zstd : model::compression_type::none;
      auto b = build(s);
      ASSERT_TRUE(log.append(b));
    };
    for (int i = 0; i < 60; ++i) put({{"k" + std::to_string(i % 9), "a" + std::to_string(i)}});
    put({{"k1", std::nullopt}});
    put({{"t1", "aborted"}}, 9, 0, true);
    ASSERT_TRUE(log.append_marker(9, 0, 0, false));
    ASSERT_TRUE(log.flush());
    auto first = log.clean(0, test_settings(), unlimited);
    ASSERT_TRUE(first && *first);
    _first_dirty = (*first)->end_offset;
    for (int i = 0; i < 60; ++i) put({{"k" + std::to_string(i % 11), "b" + std::to_string(i)}});
    put({{"k2", std::nullopt}});
    ASSERT_TRUE(log.flush());
  }

  std::vector<std::string> leftovers(const std::filesystem::path& d) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(d)) {
      const auto name = e.path().filename().string();
      if (name.ends_with(".cleaned") || name.ends_with(".swap")) out.push_back(name);
    }
    return out;
  }

  // Runs the cleaning with the file system dying after `budget` operations; returns whether it
  // died. `before`/`after` are what the log must read as.
  bool crash_at(std::int64_t budget, bool machine_crash, const std::vector<seen_record>& before,
                const std::vector<seen_record>& after, std::vector<std::string>* ops = nullptr) {
    const auto d = tmp.path() / ("run-" + std::to_string(_runs++));
    io::fault_injecting_file_system durable;
    dying_file_system dying(durable);
    auto log = open_on(dying, d, true, 0);
    populate(*log);
    EXPECT_EQ(read_committed(*log), before) << "the history is not deterministic";
    const auto rp = log->recovery_point();
    pool.drain();
    dying.set_budget(budget);
    auto r = log->clean(_first_dirty, test_settings(), unlimited);
    if (ops) *ops = dying.ops();
    if (!dying.died()) {
      EXPECT_TRUE(r && *r);
      EXPECT_EQ(read_committed(*log), after);
      return false;
    }
    EXPECT_FALSE(r && *r) << "a cleaning whose file system died reported success";
    drop(log);
    if (machine_crash) durable.crash();
    dying.set_budget(-1);
    log = open_on(dying, d, false, rp);
    if (!log) return true;
    const auto got = read_committed(*log);
    EXPECT_TRUE(got == before || got == after) << "a mix after dying at operation " << budget;
    EXPECT_EQ(leftovers(d), std::vector<std::string>{});
    // And the log cleans normally afterwards.
    auto again =
        log->clean(got == before ? _first_dirty : log->segments().back()->base_offset(), test_settings(), unlimited);
    EXPECT_TRUE(again) << (again ? "" : to_string(again.error()));
    EXPECT_EQ(materialise(read_committed(*log)), materialise(after));
    return true;
  }

  std::int64_t _first_dirty = 0;
  int _runs = 0;
};

TEST_F(CleanerCrash, dying_at_any_step_of_a_cleaning_leaves_the_log_as_before_or_after_it) {
  // Reference: the same cleaning without faults.
  std::vector<seen_record> before;
  std::vector<seen_record> after;
  {
    const auto d = tmp.path() / "reference";
    auto log = open_on(fs, d, true, 0);
    populate(*log);
    before = read_committed(*log);
    auto r = log->clean(_first_dirty, test_settings(), unlimited);
    ASSERT_TRUE(r && *r);
    ASSERT_GT((*r)->segments_in, (*r)->segments_out) << "the test wants several inputs per output";
    ASSERT_GT((*r)->segments_out, 1u) << "and several outputs";
    after = read_committed(*log);
    ASSERT_NE(before, after);
    ASSERT_TRUE(log->close());
  }
  std::int64_t budget = 0;
  for (; budget < 500; ++budget) {
    SCOPED_TRACE(budget);
    if (!crash_at(budget, false, before, after)) break;
    if (HasFailure()) return;
  }
  EXPECT_GT(budget, 20) << "a cleaning does more than 20 name operations";
  EXPECT_LT(budget, 500);
}

TEST_F(CleanerCrash, a_machine_crash_after_any_directory_sync_of_a_cleaning_loses_nothing) {
  std::vector<seen_record> before;
  std::vector<seen_record> after;
  std::vector<std::string> ops;
  {
    const auto d = tmp.path() / "reference";
    io::fault_injecting_file_system durable;
    dying_file_system dying(durable);
    auto log = open_on(dying, d, true, 0);
    populate(*log);
    before = read_committed(*log);
    pool.drain();
    dying.set_budget(-1);
    auto r = log->clean(_first_dirty, test_settings(), unlimited);
    ASSERT_TRUE(r && *r);
    ops = dying.ops();
    after = read_committed(*log);
    ASSERT_TRUE(log->close());
  }
  int points = 0;
  // After the last sync the cleaning is over: nothing to crash.
  for (std::size_t i = 0; i + 1 < ops.size(); ++i) {
    if (ops[i] != "sync_directory") continue;
    SCOPED_TRACE(i);
    ++points;
    EXPECT_TRUE(crash_at(static_cast<std::int64_t>(i) + 1, true, before, after));
    if (HasFailure()) return;
  }
  EXPECT_EQ(points, 3) << "outputs written, renamed to .swap, originals deleted";
}

}  // namespace
}  // namespace spate::storage::test
