// partition_log's deletions: DeleteRecords, retention, and removing a deleted topic's files
// (partition_log.h).
#include <algorithm>

#include "base/log.h"
#include "storage/partition_log.h"

namespace spate::storage {

void partition_log::delete_segments(std::vector<std::shared_ptr<segment>> doomed) {
  for (auto& s : doomed) {
    if (!s->delete_files())
      SPATE_LOG_WARN("event=segment_delete_failed topic={} partition={} base_offset={}", _topic, _partition,
                     s->base_offset());
    else
      SPATE_LOG_INFO("event=segment_deleted topic={} partition={} base_offset={}", _topic, _partition,
                     s->base_offset());
  }
}

result<std::int64_t> partition_log::delete_records(std::int64_t offset) {
  std::vector<std::shared_ptr<segment>> doomed;
  std::int64_t lso;
  {
    base::mutex_lock lock(_write_mutex);
    if (_failed.load()) return base::failure(errc::log_failed);
    if (offset < 0 || offset > high_watermark()) return base::failure(errc::offset_out_of_range);
    lso = std::max(offset, _log_start_offset.load());
    _log_start_offset.store(lso, std::memory_order_release);
    // Producers whose batches are all gone are unknown again (Kafka's truncateHead).
    _producers.remove_below(lso);
    base::mutex_lock seg_lock(_segments_mutex);
    for (auto it = _segments.begin(); it != _segments.end();) {
      auto nxt = std::next(it);
      if (nxt == _segments.end() || nxt->first > lso) break;
      doomed.push_back(it->second);
      it = _segments.erase(it);
    }
  }
  {
    base::mutex_lock lock(_aborted_mutex);
    _aborted.remove_below(lso);
  }
  delete_segments(std::move(doomed));
  return lso;
}

result<retention_result> partition_log::enforce_retention() {
  retention_result out;
  std::vector<std::shared_ptr<segment>> doomed;
  {
    base::mutex_lock lock(_write_mutex);
    if (_failed.load()) return base::failure(errc::log_failed);
    const auto now = _clock.now_ms();
    base::mutex_lock seg_lock(_segments_mutex);
    // Time and size retention belong to the delete policy; a compact-only log (Kafka:
    // __consumer_offsets) keeps its segments until compaction replaces them.
    const bool delete_policy = _config.delete_enabled();
    std::int64_t excess = -1;
    if (delete_policy && _config.retention_bytes >= 0) {
      std::uint64_t total = 0;
      for (const auto& [b, s] : _segments) total += s->size();
      excess = static_cast<std::int64_t>(total) - _config.retention_bytes;
    }
    const auto lso = _log_start_offset.load();
    for (auto it = _segments.begin(); it != _segments.end();) {
      auto nxt = std::next(it);
      if (nxt == _segments.end()) break;  // never the active segment
      const auto& s = *it->second;
      const auto size = static_cast<std::int64_t>(s.size());
      const auto ts = s.max_timestamp() >= 0 ? s.max_timestamp() : s.rolling_base_timestamp();
      const bool below_start = nxt->first <= lso;
      const bool expired = delete_policy && _config.retention_ms >= 0 && now - ts > _config.retention_ms;
      const bool over_size = excess >= 0 && excess - size >= 0;
      if (!below_start && !expired && !over_size) break;
      if (excess >= 0) excess -= size;
      out.bytes_deleted += static_cast<std::uint64_t>(size);
      doomed.push_back(it->second);
      it = _segments.erase(it);
    }
    if (!doomed.empty()) {
      const auto new_start = std::max(lso, _segments.begin()->first);
      _log_start_offset.store(new_start, std::memory_order_release);
      _producers.remove_below(new_start);
    }
    out.log_start_offset = _log_start_offset.load();
  }
  out.segments_deleted = doomed.size();
  if (!doomed.empty()) {
    base::mutex_lock lock(_aborted_mutex);
    _aborted.remove_below(out.log_start_offset);
  }
  if (!doomed.empty())
    SPATE_LOG_INFO(
        "event=retention topic={} partition={} segments_deleted={} bytes_deleted={} "
        "log_start_offset={}",
        _topic, _partition, out.segments_deleted, out.bytes_deleted, out.log_start_offset);
  delete_segments(std::move(doomed));
  return out;
}

result<void> partition_log::delete_all_segments() {
  std::vector<std::shared_ptr<segment>> doomed;
  {
    base::mutex_lock lock(_segments_mutex);
    for (auto& [b, s] : _segments) doomed.push_back(s);
  }
  delete_segments(std::move(doomed));
  return {};
}

}  // namespace spate::storage
