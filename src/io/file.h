#pragma once
// The file-system seam of spate: every byte storage/ reads or writes goes through `file` and
// `file_system`, so tests can inject faults (fault_injection.h) and count I/O. Errors are values:
// `io::result<T>` carries a std::error_code (errno category for the POSIX implementation).
//
// Blocking: every call here may block (open, fdatasync, unlink, directory sync especially). Event
// loops must not call the slow ones; hand them to a blocking_pool (blocking_pool.h). The exceptions
// the storage layer allows itself on event loops work against the page cache: pread/pwrite on the
// append and fetch paths, and drop_from_cache of already-written pages after a fetch of cold data
// (segment::read_cold); and reserve, once per up to 16 MiB appended (segment::reserve_ahead). Its
// latency under a 1 KiB acks=1 load, 60 us median and ~4 ms p99, is that of the 1 MiB appends
// it speeds up (200-260 us median, ~2 ms p99, 4-6 ms at most; bench/RESULTS.md, 2026-12-07).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace spate::io {

template <typename T>
using result = base::result<T, std::error_code>;

// Failure from an errno value.
inline base::failure_t<std::error_code> errno_failure(int err) {
  return base::failure(std::error_code(err, std::generic_category()));
}

struct open_options {
  bool write = false;      // open read-write (otherwise read-only)
  bool create = false;     // create if missing (implies write)
  bool exclusive = false;  // with create: fail with EEXIST if it exists
  bool truncate = false;   // with write: cut to zero length on open
};

// An open file. Positional reads and writes only (no shared cursor), so one `file` may be read by
// many threads at once while one thread writes to it. Thread-safety: pread, pwrite, size and
// native_handle may be called concurrently; truncate must not race with writes to the same range.
// Closing happens in the destructor.
class file {
 public:
  virtual ~file() = default;
  // Reads up to out.size() bytes at `offset`; fewer only at end of file. Retries EINTR/short reads.
  virtual result<std::size_t> pread(std::span<std::uint8_t> out, std::uint64_t offset) = 0;
  // Writes all of `data` at `offset` (retrying short writes) into the page cache; not durable
  // until datasync() returns success.
  virtual result<void> pwrite(base::byte_span data, std::uint64_t offset) = 0;
  // fdatasync: makes the written data (and the size) durable. After a failure the file's durable
  // state is unknown; callers must treat the file as failed (Linux may drop the dirty pages).
  virtual result<void> datasync() = 0;
  // Starts writing the range's dirty pages to the disk (sync_file_range(2)); with `wait`, returns
  // once the whole range is on the disk. Not a durability point: only datasync() is (the file's
  // size and metadata are not written). Length 0: to the end of the file.
  virtual result<void> write_back(std::uint64_t offset, std::uint64_t length, bool wait) = 0;
  // Drops the range's clean pages from the page cache (POSIX_FADV_DONTNEED; dirty pages stay):
  // later reads of it go to the disk. The file's contents do not change. Length 0: to the end.
  virtual result<void> drop_from_cache(std::uint64_t offset, std::uint64_t length) = 0;
  // Allocates disk blocks for the range without changing the file's size or contents
  // (fallocate(2) with FALLOC_FL_KEEP_SIZE), so that writes there later skip the filesystem's
  // block allocation. truncate() to the current size gives back what lies past the end. Fails with
  // ENOSPC, or EOPNOTSUPP where the filesystem cannot.
  virtual result<void> reserve(std::uint64_t offset, std::uint64_t length) = 0;
  virtual result<void> truncate(std::uint64_t size) = 0;
  virtual result<std::uint64_t> size() = 0;
  // The descriptor, for sendfile(2); -1 when the file has none (test doubles).
  virtual int native_handle() const = 0;
};

// A held exclusive lock (flock) on a file; released by the destructor.
class file_lock {
 public:
  virtual ~file_lock() = default;
};

// Operations on names. Thread-safe.
class file_system {
 public:
  virtual ~file_system() = default;
  virtual result<std::unique_ptr<file>> open(const std::filesystem::path& path, open_options opts) = 0;
  // rename(2): atomic replacement of `to` on POSIX. Durable only after sync_directory(parent).
  virtual result<void> rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // Removes a file (not a directory). ENOENT is an error.
  virtual result<void> unlink(const std::filesystem::path& path) = 0;
  // Removes a directory tree; a missing path is success.
  virtual result<void> remove_all(const std::filesystem::path& path) = 0;
  // mkdir; an existing directory is success.
  virtual result<void> create_directory(const std::filesystem::path& path) = 0;
  // fsync of a directory: makes creations, renames and unlinks in it durable.
  virtual result<void> sync_directory(const std::filesystem::path& path) = 0;
  // Names (not paths) of the entries of a directory, excluding "." and "..", unsorted.
  virtual result<std::vector<std::string>> list_directory(const std::filesystem::path& path) = 0;
  virtual result<bool> exists(const std::filesystem::path& path) = 0;
  virtual result<bool> is_directory(const std::filesystem::path& path) = 0;
  // Takes flock(LOCK_EX | LOCK_NB) on `path` (created if missing). When another process (or another
  // open file description in this one) holds it: std::errc::resource_unavailable_try_again.
  virtual result<std::unique_ptr<file_lock>> lock(const std::filesystem::path& path) = 0;
};

// The real POSIX file system. Process-wide, stateless, thread-safe.
file_system& posix_file_system();

// Convenience: reads a whole (small) file.
result<base::byte_buffer> read_whole_file(file_system& fs, const std::filesystem::path& path);

// Crash-safe replacement of a small file: write `path`.tmp, fdatasync it, rename over `path`,
// fsync the directory. After a crash the file holds either the old or the new contents.
result<void> write_file_atomically(file_system& fs, const std::filesystem::path& path,
                                   base::byte_span contents);

}  // namespace spate::io
