#include "lag/history_db.h"

#include <sqlite3.h>

#include <fmt/format.h>
#include <array>
#include <utility>

namespace spate::lag::history_db {

namespace {

// Version 1. Sized for thousands of partitions over weeks: strings are interned once in
// `partitions`; samples are clustered by (partition_id, at_ms) so a chart is one range scan and
// retention one range delete per partition; statuses are the enum's integer; rates are stored as
// integer milli-records/s (varints of 1-4 bytes where a REAL takes 8).
// Ticks append to `recent`, clustered by time, and the writer moves it into `samples` every coarse
// interval, sorted by partition: written straight into `samples`, each tick would dirty one page
// per active partition (~9 MB of WAL per tick for 2,000 active partitions, for ~100 KB of rows).
constexpr const char* schema_v1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE partitions(
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  grp TEXT NOT NULL,
  topic TEXT NOT NULL,
  part INTEGER NOT NULL,
  UNIQUE(cluster, grp, topic, part));
CREATE TABLE samples(
  partition_id INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  committed INTEGER NOT NULL,
  end_offset INTEGER NOT NULL,
  log_start INTEGER NOT NULL,
  offset_lag INTEGER NOT NULL,
  time_lag_ms INTEGER NOT NULL,
  consume_mrate INTEGER NOT NULL,
  produce_mrate INTEGER NOT NULL,
  status INTEGER NOT NULL,
  coarse INTEGER NOT NULL,
  PRIMARY KEY(partition_id, at_ms)) WITHOUT ROWID;
CREATE TABLE recent(
  at_ms INTEGER NOT NULL,
  partition_id INTEGER NOT NULL,
  committed INTEGER NOT NULL,
  end_offset INTEGER NOT NULL,
  log_start INTEGER NOT NULL,
  offset_lag INTEGER NOT NULL,
  time_lag_ms INTEGER NOT NULL,
  consume_mrate INTEGER NOT NULL,
  produce_mrate INTEGER NOT NULL,
  status INTEGER NOT NULL,
  coarse INTEGER NOT NULL,
  PRIMARY KEY(at_ms, partition_id)) WITHOUT ROWID;
CREATE TABLE transitions(
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  grp TEXT NOT NULL,
  topic TEXT,
  part INTEGER,
  at_ms INTEGER NOT NULL,
  from_status INTEGER NOT NULL,
  to_status INTEGER NOT NULL,
  reason TEXT NOT NULL);
CREATE INDEX transitions_by_time ON transitions(cluster, at_ms);
CREATE INDEX transitions_by_group ON transitions(cluster, grp, at_ms);
CREATE TABLE statuses(
  cluster TEXT NOT NULL,
  grp TEXT NOT NULL,
  topic TEXT NOT NULL,
  part INTEGER NOT NULL,
  status INTEGER NOT NULL,
  reason TEXT NOT NULL,
  since_ms INTEGER NOT NULL,
  PRIMARY KEY(cluster, grp, topic, part)) WITHOUT ROWID;
CREATE TABLE membership(
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  grp TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  member_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  host TEXT NOT NULL,
  joined INTEGER NOT NULL);
CREATE INDEX membership_by_group ON membership(cluster, grp, at_ms);
CREATE INDEX membership_by_time ON membership(at_ms);
CREATE TABLE gaps(
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  error TEXT NOT NULL);
CREATE INDEX gaps_by_cluster ON gaps(cluster, from_ms);
)sql";

constexpr std::array<migration, 1> steps{{{1, schema_v1}}};

constexpr int busy_timeout_ms = 5000;

std::string describe(const std::filesystem::path& file, std::string_view cause) {
  return fmt::format("lag history {}: {}", file.string(), cause);
}

// Reading a page forces SQLite to look at the header: garbage fails here, not later.
bool probe(sqlite3* db, std::string& error) {
  statement st(db, "SELECT count(*) FROM sqlite_schema");
  if (!st.ok() || st.step() != SQLITE_ROW) {
    error = last_error(db);
    return false;
  }
  return true;
}

sqlite3* fail(sqlite3* db, const std::filesystem::path& file, const std::string& cause, std::string& error) {
  error = describe(file, cause);
  sqlite3_close_v2(db);
  return nullptr;
}

}  // namespace

statement::statement(sqlite3* db, std::string_view sql) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &_stmt, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(_stmt);
    _stmt = nullptr;
  }
}

statement::~statement() { sqlite3_finalize(_stmt); }

statement::statement(statement&& other) noexcept : _stmt(std::exchange(other._stmt, nullptr)) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(_stmt);
    _stmt = std::exchange(other._stmt, nullptr);
  }
  return *this;
}

statement& statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(_stmt, index, value);
  return *this;
}

statement& statement::bind(int index, double value) {
  sqlite3_bind_double(_stmt, index, value);
  return *this;
}

statement& statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

statement& statement::bind_null(int index) {
  sqlite3_bind_null(_stmt, index);
  return *this;
}

int statement::step() { return sqlite3_step(_stmt); }

int statement::run() {
  int rc = sqlite3_step(_stmt);
  while (rc == SQLITE_ROW) rc = sqlite3_step(_stmt);
  sqlite3_reset(_stmt);
  return rc;
}

void statement::reset() { sqlite3_reset(_stmt); }

std::int64_t statement::int64(int column) const { return sqlite3_column_int64(_stmt, column); }

double statement::real(int column) const { return sqlite3_column_double(_stmt, column); }

std::string statement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(_stmt, column));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(_stmt, column))) : std::string();
}

bool statement::is_null(int column) const { return sqlite3_column_type(_stmt, column) == SQLITE_NULL; }

std::span<const migration> migrations() { return steps; }

bool exec(sqlite3* db, const char* sql, std::string& error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    error = message ? message : last_error(db);
    sqlite3_free(message);
    return false;
  }
  return true;
}

int user_version(sqlite3* db) {
  statement st(db, "PRAGMA user_version");
  return st.ok() && st.step() == SQLITE_ROW ? static_cast<int>(st.int64(0)) : -1;
}

std::string last_error(sqlite3* db) { return db ? sqlite3_errmsg(db) : "out of memory"; }

bool migrate(sqlite3* db, std::span<const migration> steps_to_apply, std::string& error) {
  const int current = user_version(db);
  if (current < 0) {
    error = last_error(db);
    return false;
  }
  const int latest = steps_to_apply.empty() ? 0 : steps_to_apply.back().version;
  if (current > latest) {
    error = fmt::format(
        "schema version {} is newer than this spate understands (up to {}); upgrade spate or move the file away",
        current, latest);
    return false;
  }
  for (const auto& step : steps_to_apply) {
    if (step.version <= current) continue;
    std::string ignored;
    if (!exec(db, "BEGIN IMMEDIATE", error) || !exec(db, step.sql, error) ||
        !exec(db, fmt::format("PRAGMA user_version = {}", step.version).c_str(), error) || !exec(db, "COMMIT", error)) {
      exec(db, "ROLLBACK", ignored);
      error = fmt::format("migration to schema version {} failed: {}", step.version, error);
      return false;
    }
  }
  return true;
}

sqlite3* open_writer(const std::filesystem::path& file, std::string& error) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(file.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    return fail(db, file, fmt::format("cannot open: {}", last_error(db)), error);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  std::string cause;
  if (!probe(db, cause)) return fail(db, file, fmt::format("cannot read: {}", cause), error);
  if (sqlite3_db_readonly(db, "main") == 1) return fail(db, file, "cannot write: the file is read-only", error);
  // auto_vacuum only takes effect before the first table is created; on an existing file it is
  // whatever the file was created with (ours always INCREMENTAL).
  if (!exec(db, "PRAGMA auto_vacuum = INCREMENTAL", cause)) {
    return fail(db, file, fmt::format("cannot set auto_vacuum: {}", cause), error);
  }
  {
    statement wal(db, "PRAGMA journal_mode = WAL");
    if (!wal.ok() || wal.step() != SQLITE_ROW || wal.text(0) != "wal") {
      return fail(db, file, fmt::format("cannot switch to WAL: {}", last_error(db)), error);
    }
  }
  if (!exec(db, "PRAGMA synchronous = NORMAL", cause)) return fail(db, file, cause, error);
  if (!migrate(db, steps, cause)) return fail(db, file, cause, error);
  return db;
}

sqlite3* open_reader(const std::filesystem::path& file, std::string& error) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(file.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    return fail(db, file, fmt::format("cannot open: {}", last_error(db)), error);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  std::string cause;
  if (!probe(db, cause)) return fail(db, file, fmt::format("cannot read: {}", cause), error);
  const int version = user_version(db);
  const int latest = steps.back().version;
  if (version > latest) {
    return fail(db, file,
                fmt::format("schema version {} is newer than this spate understands (up to {})", version, latest),
                error);
  }
  if (version < latest) {
    return fail(db, file, fmt::format("schema version {} not migrated yet (the writer migrates on open)", version),
                error);
  }
  return db;
}

}  // namespace spate::lag::history_db
