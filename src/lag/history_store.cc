#include "lag/history_store.h"

#include <sqlite3.h>

#include <fmt/format.h>
#include <cmath>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "base/log.h"
#include "lag/history_db.h"

namespace spate::lag {

using history_db::statement;

namespace {

// Partitions whose rows housekeeping rewrites in one transaction: small enough that the WAL
// checkpoints between batches instead of growing by the whole downsampling at once.
constexpr std::size_t housekeeping_batch = 256;

std::string key_of(const std::string& cluster, const std::string& group, const std::string& topic,
                   std::int32_t partition) {
  return fmt::format("{}\x1f{}\x1f{}\x1f{}", cluster, group, topic, partition);
}

std::int64_t milli(double rate) { return std::isfinite(rate) ? std::llround(rate * 1000) : 0; }

millis floor_to(millis t, millis step) {
  if (step <= 0) return t;
  const millis q = t / step;
  return (q * step > t ? q - 1 : q) * step;
}

// Statuses in which a partition's offsets moving is not interesting enough for a row every tick.
bool quiet(status s) { return s == status::stopped || s == status::idle || s == status::stalled; }
// Statuses worth every tick even when the offsets did not move.
bool eventful(status s) { return s == status::recovering || s == status::slow || s == status::rewound; }

}  // namespace

struct history_store::state {
  struct last_row {
    std::int64_t partition_id = 0;
    millis at_ms = 0;
    std::int64_t committed = -1;
    std::int64_t end = -1;
    status current = status::ok;
  };
  struct reported {
    status current = status::ok;
    millis since_ms = 0;
  };

  statement begin, commit, rollback;
  statement intern, find_partition, insert_sample, insert_transition, upsert_status, insert_member;
  statement insert_gap, extend_gap;
  statement move_recent, clear_recent;
  statement list_partitions, delete_old_samples, scan_old_fine, delete_fine, mark_coarse, set_meta;

  std::unordered_map<std::string, last_row> rows;           // by key_of(cluster, group, topic, partition)
  std::unordered_map<std::string, reported> statuses;       // partitions and groups (topic "", partition -1)
  std::unordered_map<std::string, std::int64_t> open_gaps;  // cluster -> gaps.id still being extended
  millis downsampled_until = 0;                             // fine rows before this are already coarse
  std::optional<millis> moved_at;  // when `recent` was last moved into samples (none: not yet this run)

  bool prepare(sqlite3* db, std::string& error);
  bool load(sqlite3* db, std::string& error);
  bool load_statuses(sqlite3* db, std::string& error);
  bool downsample(std::int64_t id, millis from, millis to, millis interval);
  // Moves the rows of `recent` into `samples`; inside the caller's transaction, if any.
  bool move_recent_rows() { return move_recent.run() == SQLITE_DONE && clear_recent.run() == SQLITE_DONE; }
  bool move_recent_in_transaction(sqlite3* db, std::string& error) {
    if (begin.run() == SQLITE_DONE && move_recent_rows() && commit.run() == SQLITE_DONE) return true;
    error = history_db::last_error(db);
    rollback.run();
    return false;
  }
};

bool history_store::state::prepare(sqlite3* db, std::string& error) {
  const std::pair<statement*, const char*> all[] = {
      {&begin, "BEGIN IMMEDIATE"},
      {&commit, "COMMIT"},
      {&rollback, "ROLLBACK"},
      {&intern, "INSERT INTO partitions(cluster, grp, topic, part) VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING"},
      {&find_partition, "SELECT id FROM partitions WHERE cluster = ?1 AND grp = ?2 AND topic = ?3 AND part = ?4"},
      {&insert_sample,
       "INSERT OR REPLACE INTO recent(partition_id, at_ms, committed, end_offset, log_start, offset_lag, time_lag_ms, "
       "consume_mrate, produce_mrate, status, coarse) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
      {&insert_transition,
       "INSERT INTO transitions(cluster, grp, topic, part, at_ms, from_status, to_status, reason) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&upsert_status,
       "INSERT INTO statuses(cluster, grp, topic, part, status, reason, since_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
       "ON CONFLICT(cluster, grp, topic, part) DO UPDATE SET status = excluded.status, reason = excluded.reason, "
       "since_ms = excluded.since_ms"},
      {&insert_member,
       "INSERT INTO membership(cluster, grp, at_ms, member_id, client_id, host, joined) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&insert_gap, "INSERT INTO gaps(cluster, from_ms, to_ms, error) VALUES(?1, ?2, ?2, ?3)"},
      {&extend_gap, "UPDATE gaps SET to_ms = max(to_ms, ?2), error = ?3 WHERE id = ?1"},
      {&list_partitions, "SELECT id FROM partitions ORDER BY id"},
      {&move_recent,
       "INSERT OR REPLACE INTO samples(partition_id, at_ms, committed, end_offset, log_start, offset_lag, time_lag_ms, "
       "consume_mrate, produce_mrate, status, coarse) SELECT partition_id, at_ms, committed, end_offset, log_start, "
       "offset_lag, time_lag_ms, consume_mrate, produce_mrate, status, coarse FROM recent "
       "ORDER BY partition_id, at_ms"},
      {&clear_recent, "DELETE FROM recent"},
      {&delete_old_samples, "DELETE FROM samples WHERE partition_id = ?1 AND at_ms < ?2"},
      {&scan_old_fine,
       "SELECT at_ms, coarse FROM samples WHERE partition_id = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY at_ms"},
      {&delete_fine, "DELETE FROM samples WHERE partition_id = ?1 AND at_ms >= ?2 AND at_ms < ?3 AND coarse = 0"},
      {&mark_coarse, "UPDATE samples SET coarse = 1 WHERE partition_id = ?1 AND at_ms = ?2"},
      {&set_meta, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)"},
  };
  for (const auto& [st, sql] : all) {
    *st = statement(db, sql);
    if (!st->ok()) {
      error = fmt::format("cannot prepare statement: {}", history_db::last_error(db));
      return false;
    }
  }
  return true;
}

// The writer's memory of the file: each partition's latest row (the resolution policy compares
// with it), the statuses last stored, and how far downsampling got.
bool history_store::state::load(sqlite3* db, std::string& error) {
  statement partitions(db, "SELECT id, cluster, grp, topic, part FROM partitions");
  // One PRIMARY KEY seek per partition (a join with max() would scan every sample).
  statement latest(db,
                   "SELECT at_ms, committed, end_offset, status FROM samples WHERE partition_id = ?1 "
                   "ORDER BY at_ms DESC LIMIT 1");
  statement meta(db, "SELECT value FROM meta WHERE key = 'downsampled_until'");
  if (!partitions.ok() || !latest.ok() || !meta.ok()) return error = history_db::last_error(db), false;
  rows.clear();
  int rc;
  while ((rc = partitions.step()) == SQLITE_ROW) {
    const std::int64_t id = partitions.int64(0);
    latest.bind(1, id);
    if (latest.step() == SQLITE_ROW) {
      rows[key_of(partitions.text(1), partitions.text(2), partitions.text(3),
                  static_cast<std::int32_t>(partitions.int64(4)))] =
          last_row{id, latest.int64(0), latest.int64(1), latest.int64(2), static_cast<status>(latest.int64(3))};
    }
    latest.reset();
  }
  if (rc != SQLITE_DONE) return error = history_db::last_error(db), false;
  if (meta.step() == SQLITE_ROW) downsampled_until = meta.int64(0);
  return load_statuses(db, error);
}

bool history_store::state::load_statuses(sqlite3* db, std::string& error) {
  statement stored(db, "SELECT cluster, grp, topic, part, status, since_ms FROM statuses");
  if (!stored.ok()) return error = history_db::last_error(db), false;
  statuses.clear();
  int rc;
  while ((rc = stored.step()) == SQLITE_ROW) {
    statuses[key_of(stored.text(0), stored.text(1), stored.text(2), static_cast<std::int32_t>(stored.int64(3)))] =
        reported{static_cast<status>(stored.int64(4)), stored.int64(5)};
  }
  if (rc != SQLITE_DONE) return error = history_db::last_error(db), false;
  return true;
}

// Reduces the fine rows of one partition in [from, to) to the last row of each coarse bucket
// (marked coarse), keeping rows already coarse (status changes). One range delete per bucket.
bool history_store::state::downsample(std::int64_t id, millis from, millis to, millis interval) {
  struct bucket {
    millis start;
    millis last_at;
    bool last_coarse;
    bool fine_before_last;
  };
  std::vector<bucket> buckets;
  scan_old_fine.bind(1, id).bind(2, from).bind(3, to);
  int rc;
  while ((rc = scan_old_fine.step()) == SQLITE_ROW) {
    const millis at = scan_old_fine.int64(0);
    const bool coarse = scan_old_fine.int64(1) != 0;
    const millis start = floor_to(at, interval);
    if (buckets.empty() || buckets.back().start != start) {
      buckets.push_back(bucket{start, at, coarse, false});
    } else {
      auto& b = buckets.back();
      b.fine_before_last = b.fine_before_last || !b.last_coarse;
      b.last_at = at;
      b.last_coarse = coarse;
    }
  }
  scan_old_fine.reset();
  if (rc != SQLITE_DONE) return false;
  for (const auto& b : buckets) {
    if (b.fine_before_last &&
        delete_fine.bind(1, id).bind(2, std::max(b.start, from)).bind(3, b.last_at).run() != SQLITE_DONE) {
      return false;
    }
    if (!b.last_coarse && mark_coarse.bind(1, id).bind(2, b.last_at).run() != SQLITE_DONE) return false;
  }
  return true;
}

std::unique_ptr<history_store> history_store::open(const store_config& config, std::string& error) {
  sqlite3* db = history_db::open_writer(config.file, error);
  if (!db) return nullptr;
  auto st = std::make_unique<state>();
  std::string cause;
  // Rows left in `recent` by the last run go where load() and downsampling look for them.
  if (!st->prepare(db, cause) || !st->move_recent_in_transaction(db, cause) || !st->load(db, cause)) {
    error = fmt::format("lag history {}: {}", config.file.string(), cause);
    st.reset();
    sqlite3_close_v2(db);
    return nullptr;
  }
  return std::unique_ptr<history_store>(new history_store(config, db, std::move(st)));
}

history_store::history_store(store_config config, sqlite3* db, std::unique_ptr<state> st)
    : _config(std::move(config)), _db(db), _state(std::move(st)) {}

history_store::~history_store() {
  _state.reset();  // statements before the connection
  sqlite3_close_v2(_db);
}

bool history_store::record(const tick_result& tick, std::string& error) {
  // The evaluator keeps the last view when the cluster is offline: storing it again would invent
  // samples, so an offline tick is a gap.
  if (!tick.view.error.empty()) return record_gap(tick.view.cluster, tick.view.taken_at_ms, tick.view.error, error);
  if (write_tick(tick, error)) {
    _state->open_gaps.erase(tick.view.cluster);
    return true;
  }
  _state->rollback.run();
  error = fmt::format("lag history {}: {}", _config.file.string(), error);
  return false;
}

// One transaction; the memory of last rows changes only once it committed, so a failed tick
// leaves the policy where it was.
bool history_store::write_tick(const tick_result& tick, std::string& error) {
  auto& s = *_state;
  const auto& cluster = tick.view.cluster;
  const millis at = tick.view.taken_at_ms;
  auto fail = [&] {
    error = history_db::last_error(_db);
    return false;
  };
  if (s.begin.run() != SQLITE_DONE) return fail();

  std::vector<std::pair<std::string, state::last_row>> new_rows;
  std::vector<std::pair<std::string, state::reported>> new_statuses;
  auto store_status = [&](const std::string& key, const std::string& group, const std::string& topic,
                          std::int32_t partition, status current, const std::string& reason, millis since) {
    const auto it = s.statuses.find(key);
    if (it != s.statuses.end() && it->second.current == current && it->second.since_ms == since) return true;
    s.upsert_status.bind(1, cluster).bind(2, group).bind(3, topic).bind(4, std::int64_t{partition});
    s.upsert_status.bind(5, std::int64_t{static_cast<int>(current)}).bind(6, reason).bind(7, since);
    if (s.upsert_status.run() != SQLITE_DONE) return false;
    new_statuses.emplace_back(key, state::reported{current, since});
    return true;
  };

  for (const auto& group : tick.view.groups) {
    if (!store_status(key_of(cluster, group.group, "", -1), group.group, "", -1, group.current, group.reason,
                      group.status_since_ms)) {
      return fail();
    }
    for (const auto& p : group.partitions) {
      const auto& f = p.facts;
      std::string key = key_of(cluster, group.group, f.topic, f.partition);
      const auto it = s.rows.find(key);
      const state::last_row* prev = it == s.rows.end() ? nullptr : &it->second;
      // A partition's first row has nothing to compare with: fine only when its status says so.
      const bool moved = prev && (prev->committed != f.committed_offset || prev->end != f.end_offset);
      const bool active = !quiet(p.current) && (moved || eventful(p.current));
      const bool due = !prev || active || prev->current != p.current || at - prev->at_ms >= _config.coarse_interval_ms;
      if (due) {
        std::int64_t id = prev ? prev->partition_id : 0;
        if (!prev) {
          s.intern.bind(1, cluster).bind(2, group.group).bind(3, f.topic).bind(4, std::int64_t{f.partition});
          if (s.intern.run() != SQLITE_DONE) return fail();
          s.find_partition.bind(1, cluster).bind(2, group.group).bind(3, f.topic).bind(4, std::int64_t{f.partition});
          const int rc = s.find_partition.step();
          if (rc == SQLITE_ROW) id = s.find_partition.int64(0);
          s.find_partition.reset();
          if (rc != SQLITE_ROW) return fail();
        }
        auto& ins = s.insert_sample;
        ins.bind(1, id).bind(2, at).bind(3, f.committed_offset).bind(4, f.end_offset).bind(5, f.log_start_offset);
        ins.bind(6, p.offset_lag).bind(7, p.time_lag_ms).bind(8, milli(p.consume_rate)).bind(9, milli(p.produce_rate));
        ins.bind(10, std::int64_t{static_cast<int>(p.current)}).bind(11, std::int64_t{active ? 0 : 1});
        if (ins.run() != SQLITE_DONE) return fail();
        const std::string status_key = key;
        new_rows.emplace_back(std::move(key), state::last_row{id, at, f.committed_offset, f.end_offset, p.current});
        if (!store_status(status_key, group.group, f.topic, f.partition, p.current, p.reason, p.status_since_ms)) {
          return fail();
        }
      } else if (!store_status(key, group.group, f.topic, f.partition, p.current, p.reason, p.status_since_ms)) {
        return fail();
      }
    }
  }
  for (const auto& t : tick.transitions) {
    auto& ins = s.insert_transition;
    ins.bind(1, cluster).bind(2, t.group);
    if (t.partition < 0) {
      ins.bind_null(3).bind_null(4);
    } else {
      ins.bind(3, t.topic).bind(4, std::int64_t{t.partition});
    }
    ins.bind(5, t.at_ms).bind(6, std::int64_t{static_cast<int>(t.from)}).bind(7, std::int64_t{static_cast<int>(t.to)});
    ins.bind(8, t.reason);
    if (ins.run() != SQLITE_DONE) return fail();
  }
  for (const auto& m : tick.membership_changes) {
    auto& ins = s.insert_member;
    ins.bind(1, cluster).bind(2, m.group).bind(3, m.at_ms).bind(4, m.member_id).bind(5, m.client_id).bind(6, m.host);
    ins.bind(7, std::int64_t{m.joined ? 1 : 0});
    if (ins.run() != SQLITE_DONE) return fail();
  }
  const bool move = s.moved_at && at - *s.moved_at >= _config.coarse_interval_ms;
  if (move && !s.move_recent_rows()) return fail();
  if (s.commit.run() != SQLITE_DONE) return fail();
  if (move || !s.moved_at) s.moved_at = at;
  for (auto& [key, row] : new_rows) s.rows[std::move(key)] = row;
  for (auto& [key, rep] : new_statuses) s.statuses[std::move(key)] = rep;
  return true;
}

bool history_store::record_gap(const std::string& cluster, millis at, const std::string& cause, std::string& error) {
  auto& s = *_state;
  const auto it = s.open_gaps.find(cluster);
  int rc;
  if (it != s.open_gaps.end()) {
    rc = s.extend_gap.bind(1, it->second).bind(2, at).bind(3, cause).run();
  } else {
    rc = s.insert_gap.bind(1, cluster).bind(2, at).bind(3, cause).run();
    if (rc == SQLITE_DONE) s.open_gaps[cluster] = sqlite3_last_insert_rowid(_db);
  }
  if (rc != SQLITE_DONE) {
    error = fmt::format("lag history {}: {}", _config.file.string(), history_db::last_error(_db));
    return false;
  }
  return true;
}

void history_store::housekeep(millis now) {
  if (_last_housekeeping != 0 && now - _last_housekeeping < _config.housekeeping_interval_ms) return;
  _last_housekeeping = now;
  std::string error;
  if (!downsample_and_delete(now, error)) {
    _state->rollback.run();
    SPATE_LOG_WARN("lag_history_housekeeping_failed file={} error=\"{}\"", _config.file.string(), error);
    return;
  }
  std::string ignored;
  // Gives the freed pages back to the file system, then empties the WAL those writes went through.
  if (!history_db::exec(_db, "PRAGMA incremental_vacuum", error) ||
      !history_db::exec(_db, "PRAGMA wal_checkpoint(TRUNCATE)", error)) {
    SPATE_LOG_WARN("lag_history_vacuum_failed file={} error=\"{}\"", _config.file.string(), error);
  }
}

bool history_store::downsample_and_delete(millis now, std::string& error) {
  auto& s = *_state;
  auto fail = [&] {
    error = history_db::last_error(_db);
    return false;
  };
  const millis keep_from = now - _config.retention_ms;
  // Aligned to the coarse interval so a bucket is never split between a fine and a coarse part.
  const millis fine_from = floor_to(now - _config.fine_retention_ms, _config.coarse_interval_ms);
  const millis scan_from = std::max(s.downsampled_until, keep_from);

  if (!s.move_recent_in_transaction(_db, error)) return false;
  std::vector<std::int64_t> ids;
  int rc;
  while ((rc = s.list_partitions.step()) == SQLITE_ROW) ids.push_back(s.list_partitions.int64(0));
  s.list_partitions.reset();
  if (rc != SQLITE_DONE) return fail();

  for (std::size_t first = 0; first < ids.size(); first += housekeeping_batch) {
    if (s.begin.run() != SQLITE_DONE) return fail();
    for (std::size_t i = first; i < std::min(ids.size(), first + housekeeping_batch); ++i) {
      if (s.delete_old_samples.bind(1, ids[i]).bind(2, keep_from).run() != SQLITE_DONE) return fail();
      if (fine_from > scan_from && !s.downsample(ids[i], scan_from, fine_from, _config.coarse_interval_ms))
        return fail();
    }
    if (s.commit.run() != SQLITE_DONE) return fail();
  }

  if (s.begin.run() != SQLITE_DONE) return fail();
  const millis downsampled = std::max(s.downsampled_until, fine_from);
  if (s.set_meta.bind(1, std::string_view("downsampled_until")).bind(2, downsampled).run() != SQLITE_DONE)
    return fail();
  // Statuses go with their partitions: kept while the partition (or, for a group's, any partition
  // of the group) still has rows.
  const std::string cleanup = fmt::format(
      "DELETE FROM transitions WHERE at_ms < {0};"
      "DELETE FROM membership WHERE at_ms < {0};"
      "DELETE FROM gaps WHERE to_ms < {0};"
      "DELETE FROM partitions WHERE NOT EXISTS (SELECT 1 FROM samples WHERE partition_id = partitions.id);"
      "DELETE FROM statuses WHERE since_ms < {0} AND NOT EXISTS (SELECT 1 FROM partitions p WHERE "
      "p.cluster = statuses.cluster AND p.grp = statuses.grp AND "
      "(statuses.part < 0 OR (p.topic = statuses.topic AND p.part = statuses.part)));",
      keep_from);
  if (!history_db::exec(_db, cleanup.c_str(), error)) return false;
  if (s.commit.run() != SQLITE_DONE) return fail();

  s.downsampled_until = downsampled;
  std::erase_if(s.rows, [&](const auto& entry) { return entry.second.at_ms < keep_from; });
  // Statuses of partitions gone for the whole retention were deleted above.
  return s.load_statuses(_db, error);
}

restored_state history_store::restore(const std::string& cluster, millis now, millis window_ms) {
  restored_state out;
  std::string error;
  if (!_state->move_recent_in_transaction(_db, error)) {
    SPATE_LOG_WARN("lag_history_restore_failed file={} error=\"{}\"", _config.file.string(), error);
    return out;
  }
  statement samples(
      _db,
      "SELECT s.at_ms, p.grp, p.topic, p.part, s.committed, s.end_offset, s.offset_lag, s.time_lag_ms "
      "FROM partitions p JOIN samples s ON s.partition_id = p.id "
      "WHERE p.cluster = ?1 AND s.at_ms >= ?2 AND s.at_ms <= ?3 ORDER BY s.at_ms, p.grp, p.topic, p.part");
  statement statuses(_db, "SELECT grp, topic, part, status, reason, since_ms FROM statuses WHERE cluster = ?1");
  if (!samples.ok() || !statuses.ok()) {
    SPATE_LOG_WARN("lag_history_restore_failed file={} error=\"{}\"", _config.file.string(),
                   history_db::last_error(_db));
    return out;
  }
  samples.bind(1, cluster).bind(2, now - window_ms).bind(3, now);
  while (samples.step() == SQLITE_ROW) {
    out.samples.push_back(saved_sample{samples.int64(0), samples.text(1), samples.text(2),
                                       static_cast<std::int32_t>(samples.int64(3)), samples.int64(4), samples.int64(5),
                                       samples.int64(6), samples.int64(7)});
  }
  statuses.bind(1, cluster);
  while (statuses.step() == SQLITE_ROW) {
    out.statuses.push_back(saved_status{statuses.text(0), statuses.text(1),
                                        static_cast<std::int32_t>(statuses.int64(2)),
                                        static_cast<status>(statuses.int64(3)), statuses.text(4), statuses.int64(5)});
  }
  return out;
}

std::uint64_t history_store::file_bytes() const {
  std::uint64_t total = 0;
  for (const auto& path : {_config.file, std::filesystem::path(_config.file.string() + "-wal")}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) total += size;
  }
  return total;
}

}  // namespace spate::lag
