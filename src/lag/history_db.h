#pragma once
// SQLite plumbing shared by the lag history writer and readers: a prepared-statement handle, the
// connection set-up and the schema migrations (docs/lag.md, "History"). Internal to lag/.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace spate::lag::history_db {

// A prepared statement, reset (bindings kept until rebound) after each use by its owner.
// Not thread-safe: belongs to one connection.
class statement {
 public:
  statement() = default;
  statement(sqlite3* db, std::string_view sql);  // check ok() / the connection's errmsg
  ~statement();
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  bool ok() const { return _stmt != nullptr; }
  statement& bind(int index, std::int64_t value);
  statement& bind(int index, double value);
  statement& bind(int index, std::string_view value);
  statement& bind_null(int index);
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  // Runs it to the end (statements without rows); SQLITE_DONE or an error code. Resets.
  int run();
  void reset();
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3_stmt* _stmt = nullptr;
};

// One step of the schema: applied in one transaction, then user_version = version.
struct migration {
  int version;
  const char* sql;
};

// The steps of this spate's schema, version 1 onwards.
std::span<const migration> migrations();

// Applies the steps newer than the file's user_version. Fails (false, `error` set) when the file's
// version is newer than the last step: a newer spate wrote it and this one must not guess.
bool migrate(sqlite3* db, std::span<const migration> steps, std::string& error);

// Opens the writer's connection: creates the file, sets auto_vacuum=INCREMENTAL (before any table
// exists), WAL, synchronous=NORMAL, busy_timeout, and migrates. Null with `error` on failure.
sqlite3* open_writer(const std::filesystem::path& file, std::string& error);
// Opens a read-only connection to an existing file whose schema this spate understands.
sqlite3* open_reader(const std::filesystem::path& file, std::string& error);

// Runs statements without results; false with `error` (the connection's message) on failure.
bool exec(sqlite3* db, const char* sql, std::string& error);
int user_version(sqlite3* db);
std::string last_error(sqlite3* db);

}  // namespace spate::lag::history_db
