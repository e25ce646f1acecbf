#pragma once
// The files behind a partition's producer state: `<offset>.snapshot` (producer_state.h's format)
// and each segment's `<base>.txnindex` (transaction_index.h's format), read and written through
// io::file_system. partition_log calls these under its write lock or while loading.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/file.h"
#include "storage/errc.h"
#include "storage/producer_state.h"

namespace spate::storage {

// The offsets of the snapshot files among `names` (a directory listing), ascending.
std::vector<std::int64_t> snapshot_offsets(const std::vector<std::string>& names);

// Writes `<dir>/<offset>.snapshot` through a temporary file and a rename, so a reader never
// sees half a snapshot under the final name. Not fsynced (a roll must not stall appends on it): a
// crash may lose the file or leave it torn; loading checks its CRC and falls back to an older
// snapshot and a longer replay.
result<void> write_snapshot(io::file_system& fs, const std::filesystem::path& dir, std::int64_t offset,
                            const producer_state_table& table);

struct loaded_snapshot {
  std::int64_t offset = 0;
  producer_state_table table;
};
// The newest snapshot at or below `limit` that decodes (taking `now_ms` as every producer's last
// activity). Snapshots above `limit` (state the log no longer has) and ones that fail to decode
// are deleted, with a warning for the latter. nullopt when none is usable.
std::optional<loaded_snapshot> load_snapshot(io::file_system& fs, const std::filesystem::path& dir,
                                             const std::vector<std::string>& names, std::int64_t limit,
                                             std::int64_t now_ms);

// The entries of `<dir>/<base>.txnindex` (the caller knows it exists: a directory listing).
result<std::vector<aborted_txn>> read_txn_index(io::file_system& fs, const std::filesystem::path& dir,
                                                std::int64_t base_offset);
// Appends one entry to `<dir>/<base>.txnindex` (creating it); not synced (sync_txn_index does).
result<void> append_txn_index(io::file_system& fs, const std::filesystem::path& dir, std::int64_t base_offset,
                              const aborted_txn& entry);
// Replaces the file's contents with `entries` and syncs it (recovery rebuilds an index this way);
// removes the file when `entries` is empty.
result<void> rewrite_txn_index(io::file_system& fs, const std::filesystem::path& dir, std::int64_t base_offset,
                               const std::vector<aborted_txn>& entries);
result<void> sync_txn_index(io::file_system& fs, const std::filesystem::path& dir, std::int64_t base_offset);

}  // namespace spate::storage
