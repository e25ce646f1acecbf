#pragma once
// One cleaning's work outside any lock of the log (log_cleaner.h states the rules): builds the
// offset map over the dirty range, then rewrites the segments from the log start to the end of the
// mapped range into `<base>.log.cleaned` segments (plus indexes and `.txnindex.cleaned`), synced.
// partition_log::clean() snapshots the inputs under its lock and swaps the outputs in afterwards.
//
// Reads only closed segments, which never change while a cleaning holds them. Not thread-safe per
// call; distinct calls may run in parallel on distinct logs (they share the io_throttle).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "io/file.h"
#include "storage/errc.h"
#include "storage/io_throttle.h"
#include "storage/log_cleaner.h"
#include "storage/log_config.h"
#include "storage/producer_state.h"
#include "storage/segment.h"

namespace spate::storage {

inline constexpr std::string_view cleaned_suffix = ".cleaned";
inline constexpr std::string_view swap_suffix = ".swap";

struct cleaning_input {
  io::file_system* fs = nullptr;
  std::filesystem::path dir;
  log_config config;
  std::int64_t now_ms = 0;
  // Closed segments, contiguous, from the log's first segment to the last cleanable one.
  std::vector<std::shared_ptr<segment>> segments;
  std::int64_t first_dirty_offset = 0;
  std::int64_t first_uncleanable_offset = 0;  // a segment boundary: the end of `segments`
  std::vector<aborted_txn> aborted;           // the log's aborted transactions
  // Producer id -> last offset of its newest data batch, for the producers in the producer state.
  std::unordered_map<std::int64_t, std::int64_t> last_data_offset;
  const std::atomic<bool>* abort = nullptr;  // set: stop with errc::shutting_down
};

// One output segment and the input segments it replaces (contiguous; it spans exactly their
// offsets).
struct cleaned_group {
  std::shared_ptr<segment> output;  // files named with cleaned_suffix, synced
  std::vector<std::shared_ptr<segment>> replaced;
  std::vector<aborted_txn> txn_entries;  // in `<base>.txnindex.cleaned` when not empty
};

struct cleaning_output {
  std::vector<cleaned_group> groups;
  std::int64_t end_offset = 0;  // mapped up to here: the next first dirty offset
  // Abort markers the cleaning removed: their aborted-transaction entries go too.
  std::vector<std::int64_t> dropped_abort_markers;
  cleaning_stats stats;
};

// nullopt when the dirty range holds nothing to map. On failure every `.cleaned` file written is
// removed again. Errors: shutting_down (aborted), corrupt_log (a batch that does not decode),
// invalid_config (the dedupe buffer cannot hold the keys of a single batch), io_error.
result<std::optional<cleaning_output>> run_cleaning(const cleaning_input& in, const cleaner_settings& settings,
                                                    io_throttle& throttle);

// Removes every file of the groups' outputs (an abandoned swap).
void remove_cleaned_outputs(const std::vector<cleaned_group>& groups);

}  // namespace spate::storage
