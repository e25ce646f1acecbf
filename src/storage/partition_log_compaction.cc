// partition_log's side of compaction: how dirty the log is, one cleaning with its crash-safe swap,
// and finishing a swap a crash interrupted (partition_log.h, log_cleaner.h, cleaning.h).
//
// The swap, Kafka's way (LogCleaner + LocalLog.replaceSegments). Each output segment spans
// exactly the segments it replaces. Under the write lock, after checking that the replaced
// segments are still the log's:
//   1. rename every output file `.cleaned` -> `.swap`, sync the directory   (decided)
//   2. delete the replaced segments' files, sync the directory
//   3. rename every `.swap` file to its final name, sync the directory
//   4. edit the segment list and the aborted-transaction list in memory
// A crash before 1 completes leaves `.cleaned` files: open() deletes them and every `.swap`
// (the originals are intact). After 1, only `.swap` files remain: open() deletes the originals
// each covers (by its offsets) and renames them, whatever of 2 and 3 was done.
#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "storage/cleaning.h"
#include "storage/file_names.h"
#include "storage/partition_log.h"

namespace spate::storage {

struct partition_log::cleaning_plan {
  cleanable_summary summary;
  // From the first segment to the last cleanable one.
  std::vector<std::shared_ptr<segment>> segments;
};

partition_log::cleaning_plan partition_log::plan_cleaning(std::int64_t first_dirty_offset, std::int64_t now) const {
  cleaning_plan p;
  auto& s = p.summary;
  s.compact = _config.compact();
  const auto segs = segments();
  if (segs.empty()) return p;
  const auto leo = _log_end_offset.load();
  const auto start = std::max(_log_start_offset.load(), segs.front()->base_offset());
  // A checkpoint beyond the log (a log recreated with the same name) restarts from the beginning.
  s.first_dirty_offset = first_dirty_offset > leo ? start : std::max(first_dirty_offset, start);
  const std::int64_t bound = std::min(
      {segs.back()->base_offset(), _first_unstable_offset.load(), _high_watermark.load(), _recovery_point.load()});
  const std::int64_t lag_limit = now - std::max<std::int64_t>(0, _config.min_compaction_lag_ms);
  std::int64_t end = segs.front()->base_offset();
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    const auto next_base = segs[i + 1]->base_offset();
    if (next_base > bound) break;
    // min.compaction.lag.ms applies to dirty segments only.
    if (next_base > s.first_dirty_offset && segs[i]->max_timestamp() > lag_limit) break;
    end = next_base;
  }
  s.first_uncleanable_offset = end;
  bool lag_due = false;
  bool first_dirty_seen = false;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const auto base = segs[i]->base_offset();
    const auto seg_end = i + 1 < segs.size() ? segs[i + 1]->base_offset() : leo;
    if (base < s.first_dirty_offset) s.clean_bytes += segs[i]->size();
    if (base < end && seg_end > s.first_dirty_offset) {
      s.dirty_bytes += segs[i]->size();
      if (!first_dirty_seen) {
        first_dirty_seen = true;
        const auto ts = segs[i]->first_batch_timestamp().value_or(segs[i]->max_timestamp());
        lag_due = ts >= 0 && now - ts > _config.max_compaction_lag_ms;
      }
    }
    if (base < end) p.segments.push_back(segs[i]);
  }
  const auto total = s.clean_bytes + s.dirty_bytes;
  s.dirty_ratio = total > 0 ? static_cast<double>(s.dirty_bytes) / static_cast<double>(total) : 0.0;
  s.due = s.compact && s.dirty_bytes > 0 && (s.dirty_ratio >= _config.min_cleanable_dirty_ratio || lag_due);
  return p;
}

cleanable_summary partition_log::cleanable(std::int64_t first_dirty_offset) const {
  base::mutex_lock lock(_write_mutex);
  return plan_cleaning(first_dirty_offset, _clock.now_ms()).summary;
}

result<std::optional<cleaning_stats>> partition_log::clean(std::int64_t first_dirty_offset,
                                                           const cleaner_settings& settings, io_throttle& throttle) {
  base::mutex_lock clean_lock(_cleaner_mutex);
  if (_cleaning_aborted.load()) return base::failure(errc::shutting_down);
  cleaning_input in;
  double ratio = 0;
  {
    base::mutex_lock lock(_write_mutex);
    if (_failed.load()) return base::failure(errc::log_failed);
    if (_closed) return base::failure(errc::shutting_down);
    const auto now = _clock.now_ms();
    auto plan = plan_cleaning(first_dirty_offset, now);
    const auto& s = plan.summary;
    if (!s.compact || s.dirty_bytes == 0 || s.first_dirty_offset >= s.first_uncleanable_offset) return std::nullopt;
    ratio = s.dirty_ratio;
    in.fs = &_fs;
    in.dir = _dir;
    in.config = _config;
    in.now_ms = now;
    in.segments = std::move(plan.segments);
    in.first_dirty_offset = s.first_dirty_offset;
    in.first_uncleanable_offset = s.first_uncleanable_offset;
    for (const auto& e : _producers.entries())
      in.last_data_offset[e.producer_id] = e.batches.empty() ? -1 : e.batches.back().last_offset;
    base::mutex_lock aborted_lock(_aborted_mutex);
    in.aborted = _aborted.entries();
  }
  in.abort = &_cleaning_aborted;
  auto out = run_cleaning(in, settings, throttle);
  if (!out) {
    SPATE_LOG_WARN("event=log_cleaning_failed topic={} partition={} error={}", _topic, _partition,
                   to_string(out.error()));
    return base::failure(out.error());
  }
  if (!*out) return std::nullopt;
  auto& o = **out;
  const auto swapped = [&]() -> result<bool> {
    base::mutex_lock lock(_write_mutex);
    return swap_cleaned(o);
  }();
  if (!swapped) {
    if (swapped.error() == errc::io_error) {
      // The directory is in one of the states open() knows how to finish; this process does not
      // try to reconcile its segment list with it.
      fail(errc::io_error, "swap of cleaned segments");
    } else {
      remove_cleaned_outputs(o.groups);
    }
    return base::failure(swapped.error());
  }
  if (!*swapped) {
    SPATE_LOG_INFO("event=log_cleaning_abandoned topic={} partition={} reason=segments_changed", _topic, _partition);
    remove_cleaned_outputs(o.groups);
    return std::nullopt;
  }
  o.stats.topic = _topic;
  o.stats.partition = _partition;
  o.stats.dirty_ratio = ratio;
  // The cleaning's one log line is the caller's (app/log_cleaner_service.cc), which knows its rate.
  return std::optional<cleaning_stats>(o.stats);
}

namespace {

std::filesystem::path txn_index_path(const std::filesystem::path& dir, std::int64_t base, std::string_view suffix) {
  return dir / (txn_index_file_name(base) + std::string(suffix));
}

}  // namespace

result<bool> partition_log::swap_cleaned(cleaning_output& out) {
  if (_failed.load()) return base::failure(errc::log_failed);
  if (_closed) return base::failure(errc::shutting_down);
  {
    // Retention or DeleteRecords may have removed some of the replaced segments meanwhile.
    base::mutex_lock lock(_segments_mutex);
    for (const auto& g : out.groups)
      for (const auto& r : g.replaced) {
        const auto it = _segments.find(r->base_offset());
        if (it == _segments.end() || it->second != r) return false;
      }
  }
  const auto io_failure = [&](std::string_view step) -> result<bool> {
    SPATE_LOG_ERROR("event=log_cleaner_swap_failed topic={} partition={} step={}", _topic, _partition, step);
    return base::failure(errc::io_error);
  };
  for (const auto& g : out.groups) {
    if (!g.output->rename_files(swap_suffix)) return io_failure("rename_to_swap");
    if (!g.txn_entries.empty() && !_fs.rename(txn_index_path(_dir, g.output->base_offset(), cleaned_suffix),
                                              txn_index_path(_dir, g.output->base_offset(), swap_suffix)))
      return io_failure("rename_to_swap");
  }
  if (!_fs.sync_directory(_dir)) return io_failure("sync_swap");
  for (const auto& g : out.groups)
    for (const auto& r : g.replaced)
      if (!r->delete_files()) return io_failure("delete_replaced");
  if (!_fs.sync_directory(_dir)) return io_failure("sync_delete");
  for (const auto& g : out.groups) {
    if (!g.output->rename_files("")) return io_failure("rename_to_final");
    if (!g.txn_entries.empty() && !_fs.rename(txn_index_path(_dir, g.output->base_offset(), swap_suffix),
                                              txn_index_path(_dir, g.output->base_offset(), "")))
      return io_failure("rename_to_final");
  }
  if (!_fs.sync_directory(_dir)) return io_failure("sync_final");
  {
    base::mutex_lock lock(_segments_mutex);
    for (const auto& g : out.groups) {
      for (const auto& r : g.replaced) _segments.erase(r->base_offset());
      _segments.emplace(g.output->base_offset(), g.output);
    }
  }
  if (!out.dropped_abort_markers.empty()) {
    base::mutex_lock lock(_aborted_mutex);
    aborted_txn_list kept;
    for (const auto& e : _aborted.entries()) {
      const auto& d = out.dropped_abort_markers;
      if (std::find(d.begin(), d.end(), e.last_offset) == d.end()) kept.add(e);
    }
    _aborted = std::move(kept);
  }
  return true;
}

result<void> partition_log::finish_interrupted_cleaning() {
  auto names = _fs.list_directory(_dir);
  if (!names) return base::failure(errc::io_error);
  std::vector<std::string> cleaned;
  std::vector<std::string> swaps;
  for (const auto& n : *names) {
    if (n.ends_with(cleaned_suffix)) cleaned.push_back(n);
    if (n.ends_with(swap_suffix)) swaps.push_back(n);
  }
  if (cleaned.empty() && swaps.empty()) return {};
  if (!cleaned.empty()) {
    // Not every output reached `.swap`: the originals are all there; the cleaning never happened.
    for (const auto& n : cleaned) (void)_fs.unlink(_dir / n);
    for (const auto& n : swaps) (void)_fs.unlink(_dir / n);
    if (!_fs.sync_directory(_dir)) return base::failure(errc::io_error);
    SPATE_LOG_WARN("event=log_cleaning_rolled_back topic={} partition={} files={}", _topic, _partition,
                   cleaned.size() + swaps.size());
    return {};
  }
  const auto strip = [](const std::string& n) { return n.substr(0, n.size() - swap_suffix.size()); };
  const auto now = _clock.now_ms();
  for (const auto& n : swaps) {
    const auto base = parse_segment_file_name(strip(n), log_suffix);
    if (!base) continue;
    std::int64_t next;
    {
      auto seg = segment::open(_fs, _dir, *base, _config, now, swap_suffix);
      if (!seg) return base::failure(seg.error());
      if (auto r = (*seg)->recover(); !r) return base::failure(r.error());
      next = (*seg)->next_offset();
    }
    for (const auto& other : *names) {
      const auto b = parse_segment_file_name(other, log_suffix);
      if (!b || *b < *base || *b >= next) continue;
      for (const auto& f : {log_file_name(*b), index_file_name(*b), time_index_file_name(*b), txn_index_file_name(*b)})
        if (auto r = _fs.unlink(_dir / f); !r && r.error() != std::errc::no_such_file_or_directory)
          return base::failure(errc::io_error);
    }
  }
  if (!_fs.sync_directory(_dir)) return base::failure(errc::io_error);
  for (const auto& n : swaps)
    if (!_fs.rename(_dir / n, _dir / strip(n))) return base::failure(errc::io_error);
  if (!_fs.sync_directory(_dir)) return base::failure(errc::io_error);
  SPATE_LOG_WARN("event=log_cleaning_completed_at_open topic={} partition={} files={}", _topic, _partition,
                 swaps.size());
  return {};
}

}  // namespace spate::storage
