// partition_log leaving the failed state without a restart (partition_log.h, "Leaving the failed
// state"): the log is loaded again from its files by a private partition_log, exactly as start-up
// recovery after an unclean stop does, and this object takes over what it loaded.
#include <chrono>

#include "base/log.h"
#include "storage/file_names.h"
#include "storage/partition_log.h"

namespace spate::storage {

result<std::uint64_t> partition_log::drop_undurable_tail(std::int64_t recovery_point) {
  std::uint64_t dropped = 0;
  // Whole files above the recovery point, including a half-created one a failed roll left behind
  // (not in the segment list): kept, it would open a gap in the offsets.
  auto names = _fs.list_directory(_dir);
  if (!names) return base::failure(from_os_error(names.error()));
  bool unlinked = false;
  for (const auto& name : *names) {
    const auto base = parse_segment_file_name(name, log_suffix);
    if (!base || *base <= recovery_point) continue;
    for (const auto& file :
         {log_file_name(*base), index_file_name(*base), time_index_file_name(*base), txn_index_file_name(*base)}) {
      if (file == name) {
        if (auto f = _fs.open(_dir / file, {}); f) dropped += (*f)->size().value_or(0);
      }
      if (auto r = _fs.unlink(_dir / file); !r && r.error() != std::errc::no_such_file_or_directory)
        return base::failure(from_os_error(r.error()));
    }
    unlinked = true;
  }
  // The segment holding the recovery point is cut at the batch that starts there; its indexes are
  // cut back by the unclean load that follows (validation starts at the recovery point). Segments
  // wholly below it were synced before the recovery point passed them and are left alone.
  const auto segs = segments();
  for (const auto& seg : segs) {
    if (seg->base_offset() > recovery_point) continue;
    if (seg->next_offset() <= recovery_point && seg != segs.back()) continue;
    auto at = seg->find_batch(recovery_point, seg->size());
    if (!at) return base::failure(at.error());
    // Invariant: the recovery point is a batch boundary (a log end offset a flush round synced),
    // so the batch found starts there; otherwise keep that batch rather than cut into it.
    const std::uint64_t keep = !*at                                   ? seg->size()
                               : (*at)->base_offset == recovery_point ? (*at)->position
                                                                      : (*at)->position + (*at)->size;
    auto file = _fs.open(_dir / log_file_name(seg->base_offset()), {.write = true});
    if (!file) return base::failure(from_os_error(file.error()));
    auto size = (*file)->size();
    if (!size) return base::failure(from_os_error(size.error()));
    if (*size <= keep) continue;
    if (auto r = (*file)->truncate(keep); !r) return base::failure(from_os_error(r.error()));
    if (auto r = (*file)->datasync(); !r) return base::failure(from_os_error(r.error()));
    dropped += *size - keep;
  }
  if (unlinked) {
    if (auto r = _fs.sync_directory(_dir); !r) return base::failure(from_os_error(r.error()));
  }
  return dropped;
}

void partition_log::adopt(partition_log& fresh) {
  // The old segments are released here; a reader still holding one keeps its descriptor.
  std::map<std::int64_t, std::shared_ptr<segment>> segs;
  {
    base::mutex_lock lock(fresh._segments_mutex);
    segs.swap(fresh._segments);
  }
  {
    base::mutex_lock lock(_segments_mutex);
    _segments.swap(segs);
  }
  {
    base::mutex_lock lock(fresh._write_mutex);
    _active = std::move(fresh._active);
    _producers = std::move(fresh._producers);
    _snapshot_offsets = std::move(fresh._snapshot_offsets);
    _sealed_untrimmed = std::move(fresh._sealed_untrimmed);
  }
  _sealed_unsynced.clear();
  _txn_index_unsynced.clear();
  _dir_dirty = false;  // the load synced the directory
  _first_unflushed_ms = -1;
  _unsynced_appends = 0;
  aborted_txn_list aborted;
  {
    base::mutex_lock lock(fresh._aborted_mutex);
    aborted = std::move(fresh._aborted);
  }
  {
    base::mutex_lock lock(_aborted_mutex);
    _aborted = std::move(aborted);
  }
  _first_unstable_offset.store(fresh._first_unstable_offset.load(), std::memory_order_release);
  // Under the waiters' mutex, as on_durable() reads the failed flag and the high watermark.
  base::mutex_lock lock(_waiters_mutex);
  _log_start_offset.store(fresh.log_start_offset(), std::memory_order_release);
  _log_end_offset.store(fresh.log_end_offset(), std::memory_order_release);
  _recovery_point.store(fresh.recovery_point(), std::memory_order_release);
  _high_watermark.store(fresh.high_watermark(), std::memory_order_release);
  _failed_at_ms.store(-1, std::memory_order_release);
  _failed.store(false, std::memory_order_release);
}

result<partition_log::recovery_report> partition_log::recover_failed() {
  const auto started = std::chrono::steady_clock::now();
  // No flush round runs meanwhile (they would refuse anyway), and close() of a healthy log waits.
  base::mutex_lock flush_lock(_flush_mutex);
  recovery_report report;
  options o = _load_opts;
  bool cut_to_recovery_point = false;
  {
    base::mutex_lock lock(_write_mutex);
    if (!_failed.load()) return report;
    if (_closed) return base::failure(errc::shutting_down);
    o.config = _config;
    cut_to_recovery_point = _config.sync_before_ack();
  }
  // While failed, nothing moves these (appends, DeleteRecords and retention are refused).
  o.clean_shutdown = false;
  o.recovery_point = _recovery_point.load();
  o.log_start_offset = _log_start_offset.load();
  report.high_watermark_before = _high_watermark.load();
  if (cut_to_recovery_point) {
    auto dropped = drop_undurable_tail(o.recovery_point);
    if (!dropped) return base::failure(dropped.error());
    report.truncated_bytes += *dropped;
  }
  auto fresh = open(std::move(o));
  if (!fresh) return base::failure(fresh.error());
  report.truncated_bytes += (*fresh)->load_stats().bytes_truncated;
  {
    base::mutex_lock lock(_write_mutex);
    // Closed (topic deleted, shutdown) while loading: the loaded copy is dropped.
    if (_closed) return base::failure(errc::shutting_down);
    report.failed_ms = std::max<std::int64_t>(0, _clock.now_ms() - _failed_at_ms.load());
    adopt(**fresh);
  }
  report.recovered = true;
  report.log_end_offset = log_end_offset();
  report.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  SPATE_LOG_INFO(
      "event=partition_recovered topic={} partition={} truncated_bytes={} log_end_offset={} high_watermark={} "
      "failed_ms={} duration_ms={}",
      _topic, _partition, report.truncated_bytes, report.log_end_offset, high_watermark(), report.failed_ms,
      report.duration_ms);
  return report;
}

}  // namespace spate::storage
