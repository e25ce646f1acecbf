#pragma once
// The two sparse indexes of a segment, in Kafka's on-disk formats (docs/storage-format.md):
//
//   .index      8-byte entries: relative offset i32 BE | file position i32 BE
//               "the batch starting at `position` ends at base_offset + relative offset"; one entry
//               per index.interval.bytes of log; offsets and positions strictly increase.
//   .timeindex  12-byte entries: timestamp i64 BE | relative offset i32 BE
//               "the largest timestamp in the segment up to offset base_offset + relative offset
//               is `timestamp`, first reached by the batch containing that offset"; timestamps
//               strictly increase.
//
// These classes hold the entries in memory and know the byte format; the segment owns the files
// and writes the encoded entries. Not thread-safe: the owning segment guards them with its mutex.
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"

namespace spate::storage {

class offset_index {
 public:
  static constexpr std::size_t entry_size = 8;
  struct entry {
    std::int64_t offset;      // absolute
    std::uint32_t position;   // byte position of the batch in the .log
    friend bool operator==(const entry&, const entry&) = default;
  };

  offset_index(std::int64_t base_offset, std::size_t max_entries)
      : _base_offset(base_offset), _max_entries(max_entries) {}

  // Replaces the entries with those encoded in `bytes`. False (and no entries) when the bytes are
  // not a valid index for a log of `log_size` bytes: length not a multiple of 8, offsets or
  // positions not increasing, a position at or past the end of the log, too many entries.
  bool load(base::byte_span bytes, std::uint64_t log_size);

  // The entry with the largest offset <= `offset`, or {base_offset, 0} when there is none: where
  // a scan for `offset` should start.
  entry lookup(std::int64_t offset) const;
  // As lookup(), ignoring entries at or past `position_limit` (a reader's snapshot of the size).
  entry lookup(std::int64_t offset, std::uint64_t position_limit) const;
  // The first entry with offset >= `offset` below `position_limit`, if any: the batch holding
  // `offset` when no unindexed batch lies between it and the entry before.
  std::optional<entry> first_at_or_after(std::int64_t offset, std::uint64_t position_limit) const;
  // Appends an entry. Precondition: offset and position above the last entry's, not full.
  void append(std::int64_t offset, std::uint32_t position);
  // Drops the entries whose position is >= `position` (the log was truncated there).
  void truncate_to_position(std::uint64_t position);
  void clear() { _entries.clear(); }

  bool is_full() const { return _entries.size() >= _max_entries; }
  std::size_t entries() const { return _entries.size(); }
  std::optional<entry> last() const {
    return _entries.empty() ? std::nullopt : std::optional<entry>(_entries.back());
  }
  // Encoded form of entry `i`, or of all entries.
  void encode_entry(std::size_t i, std::uint8_t out[entry_size]) const;
  base::byte_buffer encode() const;

 private:
  std::int64_t _base_offset;
  std::size_t _max_entries;
  std::vector<entry> _entries;
};

class time_index {
 public:
  static constexpr std::size_t entry_size = 12;
  struct entry {
    std::int64_t timestamp;
    std::int64_t offset;  // absolute
    friend bool operator==(const entry&, const entry&) = default;
  };

  time_index(std::int64_t base_offset, std::size_t max_entries)
      : _base_offset(base_offset), _max_entries(max_entries) {}

  // As offset_index::load: false when not a multiple of 12, timestamps not strictly increasing,
  // offsets decreasing or below the base offset, or more than max entries.
  bool load(base::byte_span bytes);

  // The entry with the largest timestamp <= `timestamp`, or {-1, base_offset} when there is none.
  entry lookup(std::int64_t timestamp) const;
  // Appends when `timestamp` is above the last entry's (Kafka's maybeAppend); true if appended.
  // A full index only accepts when `allow_full` (the final entry written when a segment rolls).
  bool maybe_append(std::int64_t timestamp, std::int64_t offset, bool allow_full = false);
  // Drops the entries whose offset is >= `offset`.
  void truncate_to_offset(std::int64_t offset);
  void clear() { _entries.clear(); }

  bool is_full() const { return _entries.size() >= _max_entries; }
  std::size_t entries() const { return _entries.size(); }
  std::optional<entry> last() const {
    return _entries.empty() ? std::nullopt : std::optional<entry>(_entries.back());
  }
  void encode_entry(std::size_t i, std::uint8_t out[entry_size]) const;
  base::byte_buffer encode() const;

 private:
  std::int64_t _base_offset;
  std::size_t _max_entries;
  std::vector<entry> _entries;
};

}  // namespace spate::storage
