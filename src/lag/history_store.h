#pragma once
// Lag history in SQLite (file lag.db in the data directory): samples per partition, status
// transitions and membership changes. docs/lag.md gives the schema, the resolution policy and the
// size bound.
//
// - history_store is the one writer: one long-lived connection, WAL mode, one transaction per
//   tick, auto_vacuum=INCREMENTAL, schema versioned with migrations. Use from one thread.
// - history_reader is for readers (HTTP, CLI): its own connection; one per thread.
// A corrupt or unwritable file: open() fails with a one-line error and the monitor runs without
// history; it never affects the broker.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lag/evaluation.h"
#include "lag/evaluator.h"

struct sqlite3;

namespace spate::lag {

struct store_config {
  std::filesystem::path file;
  // A sample row is written every tick while a partition is active or recovering ("fine"), else
  // when something changed or this much time passed since its last row ("coarse").
  millis coarse_interval_ms = 5LL * 60 * 1000;
  millis fine_retention_ms = 24LL * 3600 * 1000;       // fine rows older: downsampled to coarse
  millis retention_ms = 30LL * 24 * 3600 * 1000;       // rows older: deleted
  millis housekeeping_interval_ms = 60LL * 60 * 1000;  // how often housekeep() does work
};

struct history_point {
  millis at_ms = 0;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t committed_offset = -1;
  std::int64_t end_offset = -1;
  std::int64_t log_start_offset = -1;
  std::int64_t offset_lag = 0;
  millis time_lag_ms = 0;
  double consume_rate = 0;
  double produce_rate = 0;
  status current = status::ok;
  bool coarse = false;
};

struct history_query {
  std::string cluster;
  std::string group;
  millis from_ms = 0;
  millis to_ms = INT64_MAX;
  std::optional<std::string> topic;
  std::optional<std::int32_t> partition;
  std::size_t limit = 10000;  // newest rows win when more match; returned oldest first
};

struct transition_query {
  std::string cluster;
  std::optional<std::string> group;
  millis from_ms = 0;
  millis to_ms = INT64_MAX;
  std::size_t limit = 1000;  // newest first
};

// A period in which the cluster could not be sampled (remote mode), so charts show a gap.
struct history_gap {
  millis from_ms = 0;
  millis to_ms = 0;
  std::string error;
};

class history_store {
 public:
  // Opens or creates the file and migrates its schema. On failure returns null and sets `error`
  // to one line naming the file and the cause.
  static std::unique_ptr<history_store> open(const store_config& config, std::string& error);
  ~history_store();
  history_store(const history_store&) = delete;
  history_store& operator=(const history_store&) = delete;

  // Writes one tick in one transaction (samples by the resolution policy, transitions,
  // membership changes). Returns false with `error` set when the write failed.
  bool record(const tick_result& tick, std::string& error);
  // The cluster could not be sampled at `at`: extends or opens a gap.
  bool record_gap(const std::string& cluster, millis at, const std::string& cause, std::string& error);
  // Downsampling, deletion and an incremental vacuum, at most once per housekeeping interval.
  void housekeep(millis now);
  // The samples of the last `window_ms` and the latest statuses, to resume after a restart.
  restored_state restore(const std::string& cluster, millis now, millis window_ms);
  std::uint64_t file_bytes() const;

 private:
  struct state;  // prepared statements and, per partition, what and when it last wrote
  history_store(store_config config, sqlite3* db, std::unique_ptr<state> state);
  bool write_tick(const tick_result& tick, std::string& error);
  bool downsample_and_delete(millis now, std::string& error);
  store_config _config;
  sqlite3* _db;
  millis _last_housekeeping = 0;
  std::unique_ptr<state> _state;
};

class history_reader {
 public:
  static std::unique_ptr<history_reader> open(const std::filesystem::path& file, std::string& error);
  ~history_reader();
  history_reader(const history_reader&) = delete;
  history_reader& operator=(const history_reader&) = delete;

  std::vector<history_point> samples(const history_query& query);
  std::vector<transition> transitions(const transition_query& query);
  std::vector<history_gap> gaps(const std::string& cluster, millis from_ms, millis to_ms);
  // Members joining and leaving, newest first (the query's group, or every group).
  std::vector<membership_change> membership(const transition_query& query);

 private:
  explicit history_reader(sqlite3* db);
  sqlite3* _db;
};

}  // namespace spate::lag
