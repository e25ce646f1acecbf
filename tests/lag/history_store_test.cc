#include "lag/history_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "lag/history_db.h"

namespace spate::lag {
namespace {

constexpr millis second = 1000;
constexpr millis minute = 60 * second;
constexpr millis hour = 60 * minute;
constexpr millis day = 24 * hour;

class temp_dir {
 public:
  explicit temp_dir(std::filesystem::path parent = std::filesystem::temp_directory_path()) {
    std::string tmpl = (parent / "spate-lag-history-XXXXXX").string();
    _path = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(_path, ec);
  }
  const std::filesystem::path& path() const { return _path; }

 private:
  std::filesystem::path _path;
};

// One partition's state at a tick, as the evaluator would report it.
struct part {
  std::string topic = "t";
  std::int32_t partition = 0;
  std::int64_t committed = 0;
  std::int64_t end = 0;
  status current = status::ok;
  millis since = 0;
};

tick_result make_tick(millis at, const std::string& group, const std::vector<part>& parts,
                      const std::string& cluster = "c") {
  tick_result tick;
  tick.view.cluster = cluster;
  tick.view.taken_at_ms = at;
  group_view g;
  g.group = group;
  g.state = "Stable";
  g.current = status::ok;
  for (const auto& p : parts) {
    partition_view v;
    v.facts.topic = p.topic;
    v.facts.partition = p.partition;
    v.facts.committed_offset = p.committed;
    v.facts.end_offset = p.end;
    v.facts.log_start_offset = 0;
    v.offset_lag = p.end - p.committed;
    v.time_lag_ms = v.offset_lag > 0 ? 1500 : 0;
    v.consume_rate = 12.345;
    v.produce_rate = 6.5;
    v.current = p.current;
    v.reason = "because";
    v.status_since_ms = p.since;
    g.current = std::max(g.current, p.current);
    g.partitions.push_back(std::move(v));
  }
  tick.view.groups.push_back(std::move(g));
  return tick;
}

store_config config_in(const temp_dir& dir) {
  store_config config;
  config.file = dir.path() / "lag.db";
  return config;
}

std::unique_ptr<history_store> open_store(const store_config& config) {
  std::string error;
  auto store = history_store::open(config, error);
  EXPECT_TRUE(store) << error;
  return store;
}

std::unique_ptr<history_reader> open_reader(const std::filesystem::path& file) {
  std::string error;
  auto reader = history_reader::open(file, error);
  EXPECT_TRUE(reader) << error;
  return reader;
}

// Direct SQL on the file, for what the public API does not expose (row counts, pragmas).
class raw_db {
 public:
  explicit raw_db(const std::filesystem::path& file) {
    sqlite3_open_v2(file.c_str(), &_db, SQLITE_OPEN_READWRITE, nullptr);
  }
  ~raw_db() { sqlite3_close_v2(_db); }
  std::int64_t value(const std::string& sql) {
    history_db::statement st(_db, sql);
    EXPECT_TRUE(st.ok()) << sql << ": " << sqlite3_errmsg(_db);
    return st.ok() && st.step() == SQLITE_ROW ? st.int64(0) : -1;
  }
  std::string text(const std::string& sql) {
    history_db::statement st(_db, sql);
    return st.ok() && st.step() == SQLITE_ROW ? st.text(0) : "";
  }
  void exec(const std::string& sql) {
    std::string error;
    EXPECT_TRUE(history_db::exec(_db, sql.c_str(), error)) << error;
  }
  sqlite3* db() { return _db; }

 private:
  sqlite3* _db = nullptr;
};

void record_ok(history_store& store, const tick_result& tick) {
  std::string error;
  ASSERT_TRUE(store.record(tick, error)) << error;
}

TEST(LagHistory, NewFileIsWalIncrementalVacuumAtCurrentVersion) {
  temp_dir dir;
  auto config = config_in(dir);
  auto store = open_store(config);
  ASSERT_TRUE(store);
  raw_db raw(config.file);
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.value("PRAGMA auto_vacuum"), 2);  // INCREMENTAL
  EXPECT_EQ(raw.value("PRAGMA user_version"), history_db::migrations().back().version);
}

TEST(LagHistory, SamplesTransitionsMembershipAndGapsRoundTrip) {
  temp_dir dir;
  auto config = config_in(dir);
  auto store = open_store(config);
  ASSERT_TRUE(store);
  for (int i = 0; i < 5; ++i) {
    auto tick =
        make_tick(1000 + i * 10 * second, "g",
                  {{"orders", 0, 100 + i, 200 + 2 * i, status::slow, 500}, {"orders", 1, 7, 7, status::ok, 500}});
    tick.transitions.push_back(
        transition{1000 + i * 10 * second, "g", "orders", 0, status::ok, status::slow, "t" + std::to_string(i)});
    if (i == 2) {
      tick.transitions.push_back(transition{1000 + i * 10 * second, "g", "", -1, status::ok, status::slow, "group"});
      tick.membership_changes.push_back(
          membership_change{1000 + i * 10 * second, "g", "m-1", "client", "/10.0.0.1", true});
    }
    record_ok(*store, tick);
  }
  std::string error;
  ASSERT_TRUE(store->record_gap("c", 60 * second, "broker unreachable", error)) << error;
  ASSERT_TRUE(store->record_gap("c", 70 * second, "still unreachable", error)) << error;
  record_ok(*store, make_tick(80 * second, "g", {{"orders", 0, 200, 300, status::slow, 500}}));
  ASSERT_TRUE(store->record_gap("c", 90 * second, "again", error)) << error;

  auto reader = open_reader(config.file);
  ASSERT_TRUE(reader);
  history_query q{.cluster = "c", .group = "g"};
  auto points = reader->samples(q);
  // orders-0 is SLOW: a row every tick (6); orders-1 did not move: only its first row.
  ASSERT_EQ(points.size(), 7u);
  EXPECT_EQ(points.front().at_ms, 1000);
  EXPECT_EQ(points.back().at_ms, 80 * second);
  const auto& p = points[2];  // tick 1, orders-0 (orders-0 sorts before orders-1 at tick 0)
  EXPECT_EQ(p.topic, "orders");
  EXPECT_EQ(p.partition, 0);
  EXPECT_EQ(p.committed_offset, 101);
  EXPECT_EQ(p.end_offset, 202);
  EXPECT_EQ(p.offset_lag, 101);
  EXPECT_EQ(p.time_lag_ms, 1500);
  EXPECT_DOUBLE_EQ(p.consume_rate, 12.345);
  EXPECT_DOUBLE_EQ(p.produce_rate, 6.5);
  EXPECT_EQ(p.current, status::slow);
  EXPECT_FALSE(p.coarse);

  q.partition = 1;
  q.topic = "orders";
  points = reader->samples(q);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_TRUE(points[0].coarse);
  q.partition.reset();
  q.limit = 2;
  points = reader->samples(q);
  ASSERT_EQ(points.size(), 2u);  // the newest two, oldest first
  EXPECT_EQ(points[0].at_ms, 1000 + 4 * 10 * second);
  EXPECT_EQ(points[1].at_ms, 80 * second);
  EXPECT_TRUE(reader->samples(history_query{.cluster = "c", .group = "other"}).empty());
  EXPECT_TRUE(reader->samples(history_query{.cluster = "c", .group = "g", .from_ms = 81 * second}).empty());

  auto transitions = reader->transitions(transition_query{.cluster = "c", .group = "g", .limit = 3});
  ASSERT_EQ(transitions.size(), 3u);
  EXPECT_EQ(transitions[0].reason, "t4");  // newest first
  EXPECT_EQ(transitions[1].reason, "t3");
  EXPECT_EQ(transitions[2].reason, "group");  // same time as "t2", written after it
  auto all = reader->transitions(transition_query{.cluster = "c"});
  ASSERT_EQ(all.size(), 6u);
  const auto group_level =
      std::find_if(all.begin(), all.end(), [](const transition& t) { return t.reason == "group"; });
  ASSERT_NE(group_level, all.end());
  EXPECT_EQ(group_level->partition, -1);
  EXPECT_EQ(group_level->topic, "");
  EXPECT_EQ(all.back().reason, "t0");
  EXPECT_EQ(all.back().to, status::slow);
  EXPECT_TRUE(reader->transitions(transition_query{.cluster = "c", .group = "nope"}).empty());

  auto members = reader->membership(transition_query{.cluster = "c", .group = "g"});
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].member_id, "m-1");
  EXPECT_EQ(members[0].host, "/10.0.0.1");
  EXPECT_TRUE(members[0].joined);

  auto gaps = reader->gaps("c", 0, INT64_MAX);
  ASSERT_EQ(gaps.size(), 2u);  // the first extended once, closed by the tick at 80 s
  EXPECT_EQ(gaps[0].from_ms, 60 * second);
  EXPECT_EQ(gaps[0].to_ms, 70 * second);
  EXPECT_EQ(gaps[0].error, "still unreachable");
  EXPECT_EQ(gaps[1].from_ms, 90 * second);
  EXPECT_TRUE(reader->gaps("c", 0, 59 * second).empty());
  EXPECT_TRUE(reader->gaps("other", 0, INT64_MAX).empty());
}

TEST(LagHistory, OfflineTickIsAGapNotASample) {
  temp_dir dir;
  auto config = config_in(dir);
  auto store = open_store(config);
  ASSERT_TRUE(store);
  record_ok(*store, make_tick(10 * second, "g", {{"t", 0, 1, 5, status::slow}}));
  auto offline = make_tick(20 * second, "g", {{"t", 0, 1, 5, status::slow}});
  offline.view.error = "connection refused";
  record_ok(*store, offline);
  auto reader = open_reader(config.file);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->samples(history_query{.cluster = "c", .group = "g"}).size(), 1u);
  auto gaps = reader->gaps("c", 0, INT64_MAX);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].error, "connection refused");
}

TEST(LagHistory, ActivePartitionGetsARowEveryTickIdleOneEveryCoarseIntervalAndOnStatusChange) {
  temp_dir dir;
  auto config = config_in(dir);
  config.coarse_interval_ms = 5 * minute;
  auto store = open_store(config);
  ASSERT_TRUE(store);
  // 30 minutes of 10 s ticks. p0 consumes and is produced to: active. p1 never moves (OK). p2 is
  // STOPPED with a growing end: still coarse. p3 idles, then turns STALLED at 12 min, then is
  // RECOVERING (a row every tick even without moving) from 20 min.
  const int ticks = 180;
  for (int i = 0; i < ticks; ++i) {
    const millis at = i * 10 * second;
    status p3 = at < 12 * minute ? status::idle : at < 20 * minute ? status::stalled : status::recovering;
    record_ok(*store, make_tick(at, "g",
                                {{"t", 0, 10 * i, 10 * i + 5, status::ok},
                                 {"t", 1, 50, 50, status::ok},
                                 {"t", 2, 3, 100 + i, status::stopped},
                                 {"t", 3, 9, 9, p3}}));
  }
  auto reader = open_reader(config.file);
  ASSERT_TRUE(reader);
  auto rows_of = [&](std::int32_t partition) {
    return reader->samples(history_query{.cluster = "c", .group = "g", .partition = partition});
  };
  auto p0 = rows_of(0);
  EXPECT_EQ(p0.size(), static_cast<std::size_t>(ticks));
  EXPECT_TRUE(p0[0].coarse);  // nothing to compare the first row with
  for (std::size_t i = 1; i < p0.size(); ++i) EXPECT_FALSE(p0[i].coarse) << i;
  for (std::int32_t quiet : {1, 2}) {
    auto rows = rows_of(quiet);
    ASSERT_EQ(rows.size(), 6u) << quiet;  // 0, 5, 10, 15, 20, 25 min
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].at_ms, static_cast<millis>(i) * 5 * minute) << quiet;
      EXPECT_TRUE(rows[i].coarse);
    }
  }
  auto p3 = rows_of(3);
  // idle: 0, 5, 10 min; STALLED at 12 (status change), 17 (coarse interval); RECOVERING every tick
  // from 20 min: 60 rows.
  ASSERT_EQ(p3.size(), 3u + 2u + 60u);
  EXPECT_EQ(p3[3].at_ms, 12 * minute);
  EXPECT_EQ(p3[3].current, status::stalled);
  EXPECT_TRUE(p3[3].coarse);
  EXPECT_EQ(p3[4].at_ms, 17 * minute);
  EXPECT_EQ(p3[5].at_ms, 20 * minute);
  EXPECT_FALSE(p3[5].coarse);
}

TEST(LagHistory, TicksMoveFromRecentToSamplesEveryCoarseIntervalAndReadAsOne) {
  temp_dir dir;
  auto config = config_in(dir);
  config.coarse_interval_ms = 1 * minute;
  auto store = open_store(config);
  ASSERT_TRUE(store);
  raw_db raw(config.file);
  for (int i = 0; i < 9; ++i) record_ok(*store, make_tick(i * 10 * second, "g", {{"t", 0, i, i + 5, status::slow}}));
  // The tick at 60 s moved the first seven (0..60 s); 70 and 80 s are still recent.
  EXPECT_EQ(raw.value("SELECT count(*) FROM samples"), 7);
  EXPECT_EQ(raw.value("SELECT count(*) FROM recent"), 2);
  auto reader = open_reader(config.file);
  ASSERT_TRUE(reader);
  auto points = reader->samples(history_query{.cluster = "c", .group = "g"});
  ASSERT_EQ(points.size(), 9u);
  for (std::size_t i = 0; i < points.size(); ++i) EXPECT_EQ(points[i].at_ms, static_cast<millis>(i) * 10 * second);
  points = reader->samples(history_query{.cluster = "c", .group = "g", .limit = 3});
  ASSERT_EQ(points.size(), 3u);  // across both tables, newest three, oldest first
  EXPECT_EQ(points[0].at_ms, 60 * second);
  EXPECT_EQ(points[2].at_ms, 80 * second);
  EXPECT_EQ(store->restore("c", 80 * second, 80 * second).samples.size(), 9u);
  EXPECT_EQ(raw.value("SELECT count(*) FROM recent"), 0);  // restore reads one table
}

TEST(LagHistory, PolicyStateSurvivesReopening) {
  temp_dir dir;
  auto config = config_in(dir);
  {
    auto store = open_store(config);
    ASSERT_TRUE(store);
    record_ok(*store, make_tick(0, "g", {{"t", 0, 5, 5, status::idle}}));
  }
  auto store = open_store(config);
  ASSERT_TRUE(store);
  record_ok(*store, make_tick(10 * second, "g", {{"t", 0, 5, 5, status::idle}}));  // nothing new: no row
  record_ok(*store, make_tick(5 * minute, "g", {{"t", 0, 5, 5, status::idle}}));   // coarse interval: a row
  auto reader = open_reader(config.file);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->samples(history_query{.cluster = "c", .group = "g"}).size(), 2u);
}

TEST(LagHistory, RestoreGivesTheWindowsSamplesAndLatestStatuses) {
  temp_dir dir;
  auto config = config_in(dir);
  auto store = open_store(config);
  ASSERT_TRUE(store);
  for (int i = 0; i < 30; ++i) {
    const millis at = i * 10 * second;
    status s = i < 20 ? status::ok : status::slow;
    record_ok(*store, make_tick(at, "g", {{"t", 0, i, 2 * i, s, i < 20 ? 0 : 200 * second}}));
  }
  record_ok(*store, make_tick(0, "h", {{"u", 3, 1, 1, status::idle, 0}}, "other-cluster"));
  auto state = store->restore("c", 290 * second, 100 * second);
  ASSERT_EQ(state.samples.size(), 11u);  // 190 s .. 290 s
  EXPECT_EQ(state.samples.front().at_ms, 190 * second);
  EXPECT_EQ(state.samples.back().at_ms, 290 * second);
  EXPECT_EQ(state.samples.back().committed_offset, 29);
  EXPECT_EQ(state.samples.back().end_offset, 58);
  EXPECT_EQ(state.samples.back().offset_lag, 29);
  EXPECT_EQ(state.samples.back().group, "g");
  ASSERT_EQ(state.statuses.size(), 2u);  // the group's and its partition's
  for (const auto& s : state.statuses) {
    EXPECT_EQ(s.group, "g");
    if (s.partition == -1) {
      EXPECT_EQ(s.topic, "");
    } else {
      EXPECT_EQ(s.topic, "t");
      EXPECT_EQ(s.current, status::slow);
      EXPECT_EQ(s.since_ms, 200 * second);
      EXPECT_EQ(s.reason, "because");
    }
  }
}

TEST(LagHistory, ReaderSeesCommittedTicksWhileTheWriterIsOpen) {
  temp_dir dir;
  auto config = config_in(dir);
  auto store = open_store(config);
  ASSERT_TRUE(store);
  record_ok(*store, make_tick(0, "g", {{"t", 0, 0, 10, status::slow}}));
  auto reader = open_reader(config.file);
  ASSERT_TRUE(reader);
  history_query q{.cluster = "c", .group = "g"};
  EXPECT_EQ(reader->samples(q).size(), 1u);
  for (int i = 1; i <= 3; ++i) {
    record_ok(*store, make_tick(i * 10 * second, "g", {{"t", 0, i, 10 + i, status::slow}}));
    EXPECT_EQ(reader->samples(q).size(), static_cast<std::size_t>(i + 1));
  }
  // A second reader on its own connection, and the WAL is really in use.
  auto second_reader = open_reader(config.file);
  ASSERT_TRUE(second_reader);
  EXPECT_EQ(second_reader->samples(q).size(), 4u);
  EXPECT_TRUE(std::filesystem::exists(config.file.string() + "-wal"));
  EXPECT_GT(store->file_bytes(), std::filesystem::file_size(config.file));
}

TEST(LagHistory, ReaderThreadsReadWhileTheWriterWrites) {
  temp_dir dir;
  auto config = config_in(dir);
  auto store = open_store(config);
  ASSERT_TRUE(store);
  record_ok(*store, make_tick(0, "g", {{"t", 0, 0, 10, status::slow}}));
  constexpr int ticks = 200;
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::vector<int> failures(2, 0);
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      auto reader = open_reader(config.file);
      if (!reader) return void(++failures[r]);
      std::size_t seen = 0;
      while (true) {
        const bool last = done.load();
        const auto n = reader->samples(history_query{.cluster = "c", .group = "g"}).size();
        if (n < seen || n == 0) ++failures[r];  // a committed tick never disappears
        seen = n;
        if (last) break;
      }
      if (seen != ticks + 1) ++failures[r];
    });
  }
  for (int i = 1; i <= ticks; ++i) {
    record_ok(*store, make_tick(i * 10 * second, "g", {{"t", 0, i, 10 + i, status::slow}}));
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures, std::vector<int>(2, 0));
}

TEST(LagHistory, ReaderOpensAfterTheWriterClosed) {
  temp_dir dir;
  auto config = config_in(dir);
  {
    auto store = open_store(config);
    ASSERT_TRUE(store);
    record_ok(*store, make_tick(0, "g", {{"t", 0, 0, 10, status::slow}}));
  }
  auto reader = open_reader(config.file);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->samples(history_query{.cluster = "c", .group = "g"}).size(), 1u);
  std::string error;
  EXPECT_FALSE(history_reader::open(dir.path() / "missing.db", error));
  EXPECT_NE(error.find("missing.db"), std::string::npos) << error;
}

TEST(LagHistory, FailingWriteReturnsFalseAndKeepsThePolicyState) {
  temp_dir dir;
  auto config = config_in(dir);
  auto store = open_store(config);
  ASSERT_TRUE(store);
  record_ok(*store, make_tick(0, "g", {{"t", 0, 0, 10, status::slow}}));
  raw_db raw(config.file);
  raw.exec("ALTER TABLE recent RENAME TO recent_away");
  std::string error;
  EXPECT_FALSE(store->record(make_tick(10 * second, "g", {{"t", 0, 1, 11, status::slow}}), error));
  EXPECT_NE(error.find(config.file.string()), std::string::npos) << error;
  EXPECT_NE(error.find("recent"), std::string::npos) << error;
  store->housekeep(20 * second);  // fails too: logged, not thrown
  raw.exec("ALTER TABLE recent_away RENAME TO recent");
  // The failed tick left no trace, and the next one is written.
  record_ok(*store, make_tick(30 * second, "g", {{"t", 0, 1, 11, status::slow}}));
  auto reader = open_reader(config.file);
  ASSERT_TRUE(reader);
  auto points = reader->samples(history_query{.cluster = "c", .group = "g"});
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].at_ms, 30 * second);
}

TEST(LagHistory, CorruptFileFailsWithOneLineNamingTheFile) {
  temp_dir dir;
  auto config = config_in(dir);
  {
    std::ofstream out(config.file, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 7919) & 0xff));
  }
  std::string error;
  EXPECT_FALSE(history_store::open(config, error));
  EXPECT_NE(error.find(config.file.string()), std::string::npos) << error;
  EXPECT_NE(error.find("not a database"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(history_reader::open(config.file, error));
  EXPECT_NE(error.find(config.file.string()), std::string::npos) << error;
}

TEST(LagHistory, UnwritableDirectoryFailsWithOneLine) {
  temp_dir dir;
  // A regular file where the directory should be: fails even for root, unlike a chmod.
  const auto not_a_dir = dir.path() / "plain-file";
  std::ofstream(not_a_dir) << "x";
  store_config config;
  config.file = not_a_dir / "lag.db";
  std::string error;
  EXPECT_FALSE(history_store::open(config, error));
  EXPECT_NE(error.find(config.file.string()), std::string::npos) << error;
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  if (::geteuid() != 0) {
    const auto locked = dir.path() / "locked";
    std::filesystem::create_directory(locked);
    std::filesystem::permissions(locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    config.file = locked / "lag.db";
    error.clear();
    EXPECT_FALSE(history_store::open(config, error));
    EXPECT_NE(error.find(config.file.string()), std::string::npos) << error;
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
  }
}

TEST(LagHistory, NewerSchemaVersionFailsClearly) {
  temp_dir dir;
  auto config = config_in(dir);
  { auto store = open_store(config); }
  {
    raw_db raw(config.file);
    raw.exec("PRAGMA user_version = 99");
  }
  std::string error;
  EXPECT_FALSE(history_store::open(config, error));
  EXPECT_NE(error.find(config.file.string()), std::string::npos) << error;
  EXPECT_NE(error.find("schema version 99 is newer"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(history_reader::open(config.file, error));
  EXPECT_NE(error.find("schema version 99 is newer"), std::string::npos) << error;
}

TEST(LagHistory, OlderSchemaVersionIsMigratedStepByStep) {
  temp_dir dir;
  auto config = config_in(dir);
  {
    auto store = open_store(config);
    ASSERT_TRUE(store);
    record_ok(*store, make_tick(0, "g", {{"t", 0, 1, 2, status::slow}}));
  }
  raw_db raw(config.file);
  ASSERT_EQ(raw.value("PRAGMA user_version"), 1);
  // A future step on top of this spate's: applied once, the data kept.
  std::vector<history_db::migration> steps(history_db::migrations().begin(), history_db::migrations().end());
  steps.push_back({2, "ALTER TABLE partitions ADD COLUMN note TEXT; CREATE TABLE extra(x INTEGER);"});
  std::string error;
  ASSERT_TRUE(history_db::migrate(raw.db(), steps, error)) << error;
  EXPECT_EQ(raw.value("PRAGMA user_version"), 2);
  EXPECT_EQ(raw.value("SELECT count(*) FROM partitions WHERE note IS NULL"), 1);
  ASSERT_TRUE(history_db::migrate(raw.db(), steps, error)) << error;  // already there: nothing to do
  // A failing step leaves the file at the version before it.
  steps.push_back({3, "CREATE TABLE extra(x INTEGER);"});
  EXPECT_FALSE(history_db::migrate(raw.db(), steps, error));
  EXPECT_NE(error.find("schema version 3"), std::string::npos) << error;
  EXPECT_EQ(raw.value("PRAGMA user_version"), 2);

  // A file from before any schema (version 0, empty) is created at the current version.
  temp_dir other;
  auto fresh = config_in(other);
  std::ofstream(fresh.file).flush();  // an empty file is an empty database
  auto store = open_store(fresh);
  ASSERT_TRUE(store);
  raw_db migrated(fresh.file);
  EXPECT_EQ(migrated.value("PRAGMA user_version"), 1);
}

// A week of 10 s ticks for 20 partitions that alternate between 3 h of consuming (a fine row every
// tick) and 3 h idle (coarse rows), with hourly housekeeping on a manual clock: fine rows stop at
// the fine retention, every row stops at the retention, old rows are one per coarse interval (two
// where a status changed), and the file stops growing once the retention is reached.
TEST(LagHistory, HousekeepingBoundsAWeekOfHistory) {
  // A real file with the store's settings, on a tmpfs when there is one: 60,480 commits on a disk
  // shared with builds spend most of their time waiting for it, which is not what this tests.
  std::error_code ec;
  temp_dir dir(std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                             : std::filesystem::temp_directory_path());
  auto config = config_in(dir);
  config.coarse_interval_ms = 5 * minute;
  config.fine_retention_ms = 1 * day;
  config.retention_ms = 3 * day;
  config.housekeeping_interval_ms = 1 * hour;
  auto store = open_store(config);
  ASSERT_TRUE(store);
  raw_db raw(config.file);

  constexpr int partitions = 20;
  constexpr millis tick = 10 * second;
  constexpr millis phase = 3 * hour;
  const millis start = 1'000 * day;  // a realistic epoch, aligned to days
  std::vector<std::int64_t> offsets(partitions, 0);
  std::vector<status> last(partitions, status::ok);
  std::vector<millis> since(partitions, start);
  std::uint64_t bytes_at_day_4 = 0;
  std::uint64_t max_bytes_after_day_4 = 0;
  int checks = 0;
  for (millis at = start; at <= start + 7 * day; at += tick) {
    std::vector<part> parts;
    parts.reserve(partitions);
    for (int k = 0; k < partitions; ++k) {
      const bool active = ((at - start + k * 10 * minute) / phase) % 2 == 0;
      const status s = active ? status::ok : status::idle;
      if (s != last[k]) {
        last[k] = s;
        since[k] = at;
      }
      if (active) offsets[k] += 10;
      parts.push_back(part{"topic", k, offsets[k], offsets[k] + (active ? 3 : 0), s, since[k]});
    }
    record_ok(*store, make_tick(at, "g", parts));
    store->housekeep(at);
    const millis elapsed = at - start;
    if (elapsed % (12 * hour) != 0 || elapsed == 0) continue;
    ++checks;
    const millis fine_limit = at - config.fine_retention_ms - config.coarse_interval_ms;  // rounded to a bucket
    EXPECT_EQ(raw.value("SELECT count(*) FROM samples WHERE coarse = 0 AND at_ms < " + std::to_string(fine_limit)), 0)
        << "day " << elapsed / double(day);
    if (elapsed >= config.retention_ms) {
      EXPECT_GE(raw.value("SELECT min(at_ms) FROM samples"),
                at - config.retention_ms - config.housekeeping_interval_ms);
    }
    const std::string old = "at_ms < " + std::to_string(fine_limit);
    // One row per partition and coarse bucket; a second where the status changed in it.
    EXPECT_LE(raw.value("SELECT max(c) FROM (SELECT count(*) c FROM samples WHERE " + old +
                        " GROUP BY partition_id, at_ms / " + std::to_string(config.coarse_interval_ms) + ")"),
              2);
    EXPECT_LE(raw.value("SELECT count(*) FROM samples WHERE " + old),
              raw.value("SELECT count(DISTINCT partition_id || '/' || (at_ms / " +
                        std::to_string(config.coarse_interval_ms) + ")) FROM samples WHERE " + old) +
                  partitions * (config.retention_ms / phase + 1));
    if (elapsed == 4 * day) bytes_at_day_4 = store->file_bytes();
    if (elapsed > 4 * day) max_bytes_after_day_4 = std::max(max_bytes_after_day_4, store->file_bytes());
  }
  EXPECT_EQ(checks, 14);
  const auto rows = raw.value("SELECT count(*) FROM samples");
  const auto fine_rows = raw.value("SELECT count(*) FROM samples WHERE coarse = 0");
  // Steady state: a day of fine rows (half the ticks of 20 partitions) plus coarse rows for 3 days.
  const std::int64_t expected_rows =
      partitions * (day / tick / 2 + 3 * day / config.coarse_interval_ms) + partitions * 48;
  EXPECT_LE(rows, expected_rows);
  EXPECT_GE(fine_rows, partitions * (day / tick / 2) * 9 / 10);
  // Measured about 40 bytes per row in the B-tree (see docs/lag.md, History); 64 leaves room for
  // partly filled pages, the indexes and the WAL left after the checkpoint.
  const std::uint64_t bound = static_cast<std::uint64_t>(expected_rows) * 64 + 256 * 1024;
  std::printf("rows=%lld fine=%lld file_bytes=%llu bytes_per_row=%.1f day4=%llu max_after=%llu bound=%llu\n",
              static_cast<long long>(rows), static_cast<long long>(fine_rows),
              static_cast<unsigned long long>(store->file_bytes()), double(store->file_bytes()) / double(rows),
              static_cast<unsigned long long>(bytes_at_day_4), static_cast<unsigned long long>(max_bytes_after_day_4),
              static_cast<unsigned long long>(bound));
  EXPECT_LE(store->file_bytes(), bound);
  EXPECT_LE(max_bytes_after_day_4, bytes_at_day_4 + bytes_at_day_4 / 10);
}

}  // namespace
}  // namespace spate::lag
