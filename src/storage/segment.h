#pragma once
// One segment of a partition log: `<base>.log` (record batches, stored exactly as appended),
// `<base>.index` and `<base>.timeindex` (index.h). Kafka's LogSegment.
//
// Named quantities (all absolute offsets):
//   base_offset  the name of the files; every batch in the segment has base offset >= it.
//   next_offset  last offset of the last batch + 1 (base_offset when empty).
//   size         bytes of whole batches in the .log.
//
// Descriptors: only the .log stays open. The indexes live in memory (they are what lookups use);
// their files are opened when entries are written (seal, flush rounds, close, recovery) and closed
// again, so an idle partition costs one descriptor and 10,000 partitions fit the common limit of
// 20,000 (Kafka keeps all three open and asks operators for 100,000+). A crash can leave an index
// file behind its log; recovery re-reads the headers after its last entry, as it must anyway.
//
// Thread-safety: one writer (the partition log's write lock serialises append, seal, truncate,
// recover) and any number of concurrent readers. Appends write the file first and only then
// publish the new size/next_offset/index entries under `_mutex`, so a reader that snapshots
// size() reads only whole, written batches. pread on the shared descriptor needs no lock.
// Segments are held by shared_ptr: a reader keeps the files open (and readable) even after
// retention unlinked them.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "io/file.h"
#include "model/record_batch.h"
#include "storage/errc.h"
#include "storage/index.h"
#include "storage/log_config.h"

namespace spate::storage {

// Where a batch lives in a segment and what its header says.
struct batch_location {
  std::uint64_t position = 0;
  std::uint32_t size = 0;
  std::int64_t base_offset = 0;
  std::int64_t last_offset = 0;
  std::int64_t max_timestamp = -1;
};

// One batch about to be appended; `position` is relative to the start of the appended bytes.
struct append_batch {
  std::uint64_t position = 0;
  std::uint32_t size = 0;
  std::int64_t last_offset = 0;
  std::int64_t max_timestamp = -1;
};

class segment {
 public:
  // Creates empty files (exclusively: a leftover file of that name is an error).
  // `suffix` is appended to every file name: the log cleaner writes `<base>.log.cleaned` and
  // renames it to `.swap`, then to the final name (rename_files).
  static result<std::shared_ptr<segment>> create(io::file_system& fs, const std::filesystem::path& dir,
                                                 std::int64_t base_offset, const log_config& cfg, std::int64_t now_ms,
                                                 std::string_view suffix = {});
  // Opens existing files (a missing .log is an error; missing indexes are created empty and
  // need_recovery() reports it). Loads the indexes; does not read the log yet: call load_tail()
  // (after a clean shutdown) or recover().
  static result<std::shared_ptr<segment>> open(io::file_system& fs, const std::filesystem::path& dir,
                                               std::int64_t base_offset, const log_config& cfg, std::int64_t now_ms,
                                               std::string_view suffix = {});
  ~segment() = default;
  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  // --- loading (single-threaded, before the segment is shared)
  // True when an index file was missing or failed its sanity check in open().
  bool need_recovery() const { return _need_recovery; }
  // Finds next_offset and the max timestamp by reading batch headers after the last offset-index
  // entry only (at most about index.interval.bytes plus one batch of headers): trusts the log
  // up to there. Used after a clean shutdown. A tail that does not parse is errc::corrupt_log.
  result<void> load_tail();
  // Validates batches by CRC (model::validate_batch), truncates the log at the first torn or
  // corrupt one, rebuilds the indexes from the valid batches and rewrites and syncs all three
  // files. Returns the number of bytes cut off. Batches below `trusted_below` (the recovery
  // point: known durable) are not validated when the indexes loaded sanely — validation starts
  // at the batch beginning at that offset; otherwise (or when that offset is not a batch
  // boundary) the whole segment is validated.
  result<std::uint64_t> recover(std::int64_t trusted_below = -1);

  // --- writing (under the log's write lock)
  // Appends `bytes` (whole batches, offsets already assigned) at the end of the .log, then adds
  // index entries in memory as Kafka does (an entry for a batch once more than
  // index.interval.bytes were written since the previous entry). Data is in the page cache only;
  // see sync_log(). The index files get the entries from write_indexes().
  result<void> append(base::byte_span bytes, std::span<const append_batch> batches);
  // Before an append of `incoming` bytes to the active segment: reserves disk blocks past the end
  // (io::file::reserve) ahead of the appends, as far as the segment already holds (64 KiB to
  // 16 MiB, or to 1/4096 of a smaller filesystem: none below 256 MiB) but not past
  // `segment_bytes`. Buffered appends into reserved blocks skip ext4's per-page delayed
  // allocation: -15 % broker CPU per GB for acks=1 produce, -11 % for acks=all (bench/RESULTS.md,
  // 2026-12-07). Failing to reserve (a full disk, a filesystem that cannot) changes nothing: the
  // append itself reports a full disk.
  void reserve_ahead(std::uint64_t incoming, std::uint64_t segment_bytes);
  // Gives back the blocks reserve_ahead() reserved past the end, once the segment is sealed (a
  // flush round, on the blocking pool). No-op when none are. A failure costs only the space, so it
  // is logged, not returned: the segment's sync reports a failing disk.
  void release_reserved();
  // The segment stops being active: adds the final time-index entry (max timestamp) and writes
  // the index entries not yet in the files.
  result<void> seal();
  result<void> sync_log();
  // Bounds the page cache this segment's appends occupy: starts write-back of what was appended
  // since the last call and drops from the cache what lies more than `keep_bytes` before the end
  // (once on the disk; waits for that). That part is then "cold" (see read_cold()). Durability does
  // not change: only sync_log() makes data durable. Any thread; blocking (run it on a blocking pool).
  result<void> trim_page_cache(std::uint64_t keep_bytes);
  // After a read of [position, position + length): when all of it is cold, drops it from the page
  // cache again, so a consumer catching up on old data recycles the same pages instead of growing
  // the cache (reading it again reads the disk). Cheap (the pages are clean); any thread.
  void read_cold(std::uint64_t position, std::uint64_t length) const;
  // Writes the index entries not yet in the files (page cache only). Opens the files only when
  // there are some. Any thread; serialised with sync_indexes() and seal() by `_index_files_mutex`.
  result<void> write_indexes();
  // write_indexes(), then fdatasync of both index files, unless nothing was written to them since
  // they were created or last synced (an idle partition's close opens and syncs nothing).
  result<void> sync_indexes();
  // Closes nothing (the destructor does) but unlinks the three files and the segment's .txnindex
  // (written by the partition log) if there is one.
  result<void> delete_files();
  // Renames the .log, .index and .timeindex to names with `new_suffix` (the descriptors stay
  // open). Only the log cleaner calls it, before the segment is shared or under the log's write
  // lock. Stops at the first failure (some files then have the new name).
  result<void> rename_files(std::string_view new_suffix);
  const std::string& name_suffix() const { return _suffix; }

  // --- reading (any thread)
  std::int64_t base_offset() const { return _base_offset; }
  std::uint64_t size() const;
  std::int64_t next_offset() const;
  bool empty() const { return size() == 0; }
  // Largest batch max timestamp in the segment and the last offset of the batch that first had it
  // (-1, base_offset when empty).
  std::int64_t max_timestamp() const;
  std::int64_t offset_of_max_timestamp() const;
  // Kafka's segment.ms basis: the first batch's max timestamp (if it has one), else when the
  // segment was created (or loaded).
  std::optional<std::int64_t> first_batch_timestamp() const;
  std::int64_t created_ms() const { return _created_ms; }
  std::int64_t rolling_base_timestamp() const;
  bool offset_index_full() const;
  bool time_index_full() const;
  // Whether `relative` offsets up to `last_offset` still fit the indexes' i32 relative offsets.
  bool can_hold_offset(std::int64_t last_offset) const {
    return last_offset - _base_offset <= INT32_MAX;
  }

  // The first batch whose last offset is >= `offset`, looking only below `size_limit` bytes;
  // nullopt when there is none.
  result<std::optional<batch_location>> find_batch(std::int64_t offset, std::uint64_t size_limit) const;
  // The first batch whose max timestamp is >= `timestamp`, below `size_limit`.
  result<std::optional<batch_location>> find_batch_by_timestamp(std::int64_t timestamp,
                                                                std::uint64_t size_limit) const;
  // The header of the batch at `position`, or nullopt when fewer than a header's bytes remain
  // below `size_limit` or the batch would cross it.
  result<std::optional<batch_location>> read_location(std::uint64_t position,
                                                      std::uint64_t size_limit) const;
  result<std::size_t> pread(std::span<std::uint8_t> out, std::uint64_t position) const;
  int native_handle() const { return _log->native_handle(); }

  // Bytes the last recover() validated by CRC (tests check that recovery starts at the
  // recovery point).
  std::uint64_t validated_bytes() const { return _validated_bytes; }
  // Test and tooling access.
  std::size_t offset_index_entries() const;
  std::size_t time_index_entries() const;

 private:
  segment(io::file_system& fs, std::filesystem::path dir, std::int64_t base_offset, const log_config& cfg,
          std::int64_t now_ms, std::string_view suffix);
  std::filesystem::path path_of(const std::string& name) const { return _dir / (name + _suffix); }
  result<void> open_files(bool create);
  result<void> rewrite_indexes();
  void reset_state();
  // Re-reads the headers of the trusted prefix below `offset`; the position where it ends, or
  // nullopt when the prefix does not end exactly at `offset`.
  result<std::optional<std::uint64_t>> skip_trusted_prefix(std::int64_t offset, std::uint64_t file_size);
  void index_batch(std::uint64_t position, std::uint32_t size, std::int64_t last_offset, std::int64_t max_timestamp,
                   std::size_t& new_offset_entries, std::size_t& new_time_entries) REQUIRES(_mutex);
  // Opens the index file `name`, writes `bytes` at `position` (truncating the file first when
  // `replace`), optionally fdatasyncs, and closes it.
  result<void> write_index_file(const std::string& name, base::byte_span bytes, std::uint64_t position, bool replace,
                                bool sync);
  result<void> write_index_tail(bool sync);

  io::file_system& _fs;
  const std::filesystem::path _dir;
  const std::int64_t _base_offset;
  const std::int32_t _index_interval_bytes;
  const std::int64_t _created_ms;
  std::string _suffix;  // see rename_files()
  std::unique_ptr<io::file> _log;
  bool _need_recovery = false;  // loading only
  std::uint64_t _validated_bytes = 0;  // loading only

  // Serialises writes of the index files; held across that I/O (never taken under `_mutex`).
  base::mutex _index_files_mutex;
  // Entries of each in-memory index that are already in its file.
  std::size_t _offset_entries_in_file GUARDED_BY(_index_files_mutex) = 0;
  std::size_t _time_entries_in_file GUARDED_BY(_index_files_mutex) = 0;
  // Whether the index files may hold data not yet synced. Loaded segments start unsynced: what an
  // earlier process wrote may still be only in the page cache.
  bool _index_files_unsynced GUARDED_BY(_index_files_mutex) = true;

  // How far trim_page_cache() got: write-back started below the first, cache dropped below the
  // second (page-aligned).
  base::mutex _cache_mutex;
  std::uint64_t _writeback_started_to GUARDED_BY(_cache_mutex) = 0;
  std::uint64_t _cache_dropped_to GUARDED_BY(_cache_mutex) = 0;
  std::atomic<std::uint64_t> _cold_below{0};  // _cache_dropped_to, for readers

  // Writer-only state (the log's write lock).
  std::uint32_t _bytes_since_last_index_entry = 0;
  // How far reserve_ahead() reserved; release_reserved() reads it on the pool once the segment is
  // sealed, after the write lock handed the segment over.
  std::atomic<std::uint64_t> _reserved_to{0};
  std::optional<std::uint64_t> _max_reserve_ahead;  // writer-only; from the filesystem's size, once

  mutable base::mutex _mutex;  // guards everything below; held briefly, never across I/O
  std::uint64_t _size GUARDED_BY(_mutex) = 0;
  std::int64_t _next_offset GUARDED_BY(_mutex);
  std::int64_t _max_timestamp GUARDED_BY(_mutex) = -1;
  std::int64_t _offset_of_max_timestamp GUARDED_BY(_mutex);
  std::optional<std::int64_t> _first_batch_timestamp GUARDED_BY(_mutex);
  offset_index _offset_index GUARDED_BY(_mutex);
  time_index _time_index GUARDED_BY(_mutex);
};

}  // namespace spate::storage
