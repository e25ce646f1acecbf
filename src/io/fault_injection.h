#pragma once
// A file_system for tests that wraps a real one and can
//   - fail writes or fdatasyncs with EIO (now, or after N more successful syncs),
//   - "crash": forget everything not made durable — each file is cut back to its length at its last
//     successful datasync, and files created since their directory's last sync disappear
//     (LevelDB's db/fault_injection_test.cc does the same),
//   - count what the code under test did (bytes read, datasyncs, directory syncs, bytes dropped
//     from the page cache).
// The model of durability is deliberately simple: data is appended and a sync covers the whole file,
// which is how storage/ writes logs and indexes.
//
// Thread-safe. Call crash() only after the code under test has closed its files (destroy the
// objects without a clean shutdown first).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "io/file.h"

namespace spate::io {

class fault_injecting_file_system final : public file_system {
 public:
  explicit fault_injecting_file_system(file_system& base = posix_file_system()) : _base(base) {}

  // --- faults
  void set_write_error(bool on) { _fail_writes.store(on); }
  void set_sync_error(bool on) { _fail_syncs_after.store(on ? 0 : -1); }
  // The next `n` datasyncs succeed, every later one fails (until set_sync_error(false)).
  void fail_syncs_after(std::int64_t n) { _fail_syncs_after.store(n); }
  // Drops every unsynced write and unsynced file creation (see above).
  void crash();
  // Runs `hook` at the start of every datasync, on the syncing thread (a test holds a flush there).
  // Empty: none.
  void before_datasync(std::function<void()> hook) {
    std::lock_guard lock(_mutex);
    _before_datasync = std::move(hook);
  }

  // --- counters
  std::uint64_t bytes_read() const { return _bytes_read.load(); }
  std::uint64_t datasyncs() const { return _datasyncs.load(); }
  std::uint64_t directory_syncs() const { return _dir_syncs.load(); }
  std::uint64_t bytes_dropped_from_cache() const { return _bytes_dropped_from_cache.load(); }
  void reset_counters() {
    _bytes_read = 0;
    _datasyncs = 0;
    _dir_syncs = 0;
    _bytes_dropped_from_cache = 0;
  }

  // --- file_system
  result<std::unique_ptr<file>> open(const std::filesystem::path& path, open_options opts) override;
  result<void> rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  result<void> unlink(const std::filesystem::path& path) override;
  result<void> remove_all(const std::filesystem::path& path) override;
  result<void> create_directory(const std::filesystem::path& path) override;
  result<void> sync_directory(const std::filesystem::path& path) override;
  result<std::vector<std::string>> list_directory(const std::filesystem::path& path) override {
    return _base.list_directory(path);
  }
  result<bool> exists(const std::filesystem::path& path) override { return _base.exists(path); }
  result<bool> is_directory(const std::filesystem::path& path) override {
    return _base.is_directory(path);
  }
  result<std::unique_ptr<file_lock>> lock(const std::filesystem::path& path) override {
    return _base.lock(path);
  }

  // Shared with the files this file system opened.
  struct file_state {
    std::uint64_t size = 0;         // logical length as written
    std::uint64_t synced_size = 0;  // length at the last successful datasync
    bool new_unsynced = false;      // created since its directory was last synced
  };

 private:
  friend class faulty_file;
  bool should_fail_sync();
  std::shared_ptr<file_state> state_for(const std::filesystem::path& path);

  file_system& _base;
  std::atomic<bool> _fail_writes{false};
  std::atomic<std::int64_t> _fail_syncs_after{-1};  // -1: never; 0: now; n: after n more
  std::atomic<std::uint64_t> _bytes_read{0};
  std::atomic<std::uint64_t> _datasyncs{0};
  std::atomic<std::uint64_t> _bytes_dropped_from_cache{0};
  std::atomic<std::uint64_t> _dir_syncs{0};

  std::mutex _mutex;
  // Every file opened for writing, or created, by path. Guarded by _mutex (the file_state fields
  // too).
  std::map<std::filesystem::path, std::shared_ptr<file_state>> _files;
  // Directories created since their parent was last synced.
  std::set<std::filesystem::path> _new_dirs;
  std::function<void()> _before_datasync;  // guarded by _mutex
};

}  // namespace spate::io
