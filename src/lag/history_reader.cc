// history_reader: the read side of lag history (history_store.h). Each reader has its own
// read-only connection; in WAL mode it sees the writer's committed ticks without blocking it.
#include <sqlite3.h>

#include <fmt/format.h>
#include <algorithm>
#include <tuple>

#include "base/log.h"
#include "lag/history_db.h"
#include "lag/history_store.h"

namespace spate::lag {

using history_db::statement;

namespace {

std::int64_t as_int(std::size_t limit) {
  return limit > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(limit);
}

void warn(sqlite3* db, const char* what) {
  SPATE_LOG_WARN("lag_history_read_failed what={} error=\"{}\"", what, history_db::last_error(db));
}

}  // namespace

std::unique_ptr<history_reader> history_reader::open(const std::filesystem::path& file, std::string& error) {
  sqlite3* db = history_db::open_reader(file, error);
  return db ? std::unique_ptr<history_reader>(new history_reader(db)) : nullptr;
}

history_reader::history_reader(sqlite3* db) : _db(db) {}

history_reader::~history_reader() { sqlite3_close_v2(_db); }

std::vector<history_point> history_reader::samples(const history_query& query) {
  std::vector<history_point> out;
  // The writer keeps the latest minutes in `recent` (by time) and older rows in `samples` (by
  // partition): both are read, newest first so the limit keeps the newest rows, then merged.
  for (const char* table : {"recent", "samples"}) {
    std::string sql = fmt::format(
        "SELECT s.at_ms, p.topic, p.part, s.committed, s.end_offset, s.log_start, s.offset_lag, s.time_lag_ms, "
        "s.consume_mrate, s.produce_mrate, s.status, s.coarse FROM partitions p JOIN {} s ON s.partition_id = p.id "
        "WHERE p.cluster = ?1 AND p.grp = ?2 AND s.at_ms >= ?3 AND s.at_ms <= ?4",
        table);
    if (query.topic) sql += " AND p.topic = ?5";
    if (query.partition) sql += " AND p.part = ?6";
    sql += " ORDER BY s.at_ms DESC, p.topic DESC, p.part DESC LIMIT ?7";
    statement st(_db, sql);
    if (!st.ok()) return warn(_db, "samples"), out;
    st.bind(1, query.cluster).bind(2, query.group).bind(3, query.from_ms).bind(4, query.to_ms);
    if (query.topic) st.bind(5, *query.topic);
    if (query.partition) st.bind(6, std::int64_t{*query.partition});
    st.bind(7, as_int(query.limit));
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      history_point p;
      p.at_ms = st.int64(0);
      p.topic = st.text(1);
      p.partition = static_cast<std::int32_t>(st.int64(2));
      p.committed_offset = st.int64(3);
      p.end_offset = st.int64(4);
      p.log_start_offset = st.int64(5);
      p.offset_lag = st.int64(6);
      p.time_lag_ms = st.int64(7);
      p.consume_rate = static_cast<double>(st.int64(8)) / 1000;
      p.produce_rate = static_cast<double>(st.int64(9)) / 1000;
      p.current = static_cast<status>(st.int64(10));
      p.coarse = st.int64(11) != 0;
      out.push_back(std::move(p));
    }
    if (rc != SQLITE_DONE) warn(_db, "samples");
  }
  // The writer may move `recent` between the two queries (each is its own snapshot): a row can be
  // read twice, never missed (recent is read first). Duplicates are dropped here.
  auto newer = [](const history_point& a, const history_point& b) {
    return std::tie(a.at_ms, a.topic, a.partition) > std::tie(b.at_ms, b.topic, b.partition);
  };
  std::sort(out.begin(), out.end(), newer);
  out.erase(std::unique(out.begin(), out.end(),
                        [](const history_point& a, const history_point& b) {
                          return a.at_ms == b.at_ms && a.partition == b.partition && a.topic == b.topic;
                        }),
            out.end());
  if (out.size() > query.limit) out.resize(query.limit);
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<transition> history_reader::transitions(const transition_query& query) {
  std::vector<transition> out;
  std::string sql =
      "SELECT at_ms, grp, topic, part, from_status, to_status, reason FROM transitions "
      "WHERE cluster = ?1 AND at_ms >= ?3 AND at_ms <= ?4";
  if (query.group) sql += " AND grp = ?2";
  sql += " ORDER BY at_ms DESC, id DESC LIMIT ?5";
  statement st(_db, sql);
  if (!st.ok()) return warn(_db, "transitions"), out;
  st.bind(1, query.cluster).bind(3, query.from_ms).bind(4, query.to_ms).bind(5, as_int(query.limit));
  if (query.group) st.bind(2, *query.group);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    transition t;
    t.at_ms = st.int64(0);
    t.group = st.text(1);
    if (!st.is_null(3)) {
      t.topic = st.text(2);
      t.partition = static_cast<std::int32_t>(st.int64(3));
    }
    t.from = static_cast<status>(st.int64(4));
    t.to = static_cast<status>(st.int64(5));
    t.reason = st.text(6);
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) warn(_db, "transitions");
  return out;
}

std::vector<history_gap> history_reader::gaps(const std::string& cluster, millis from_ms, millis to_ms) {
  std::vector<history_gap> out;
  statement st(_db,
               "SELECT from_ms, to_ms, error FROM gaps WHERE cluster = ?1 AND to_ms >= ?2 AND from_ms <= ?3 "
               "ORDER BY from_ms");
  if (!st.ok()) return warn(_db, "gaps"), out;
  st.bind(1, cluster).bind(2, from_ms).bind(3, to_ms);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(history_gap{st.int64(0), st.int64(1), st.text(2)});
  if (rc != SQLITE_DONE) warn(_db, "gaps");
  return out;
}

std::vector<membership_change> history_reader::membership(const transition_query& query) {
  std::vector<membership_change> out;
  std::string sql =
      "SELECT at_ms, grp, member_id, client_id, host, joined FROM membership "
      "WHERE cluster = ?1 AND at_ms >= ?3 AND at_ms <= ?4";
  if (query.group) sql += " AND grp = ?2";
  sql += " ORDER BY at_ms DESC, id DESC LIMIT ?5";
  statement st(_db, sql);
  if (!st.ok()) return warn(_db, "membership"), out;
  st.bind(1, query.cluster).bind(3, query.from_ms).bind(4, query.to_ms).bind(5, as_int(query.limit));
  if (query.group) st.bind(2, *query.group);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back(membership_change{st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4), st.int64(5) != 0});
  }
  if (rc != SQLITE_DONE) warn(_db, "membership");
  return out;
}

}  // namespace spate::lag
