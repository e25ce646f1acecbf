// partition_log's loading: segments, recovery after an unclean stop (partition_log.h).
#include <algorithm>

#include "base/log.h"
#include "storage/file_names.h"
#include "storage/partition_log.h"

namespace spate::storage {

result<std::vector<std::int64_t>> partition_log::list_segment_bases() {
  auto names = _fs.list_directory(_dir);
  if (!names) return base::failure(errc::io_error);
  std::vector<std::int64_t> bases;
  for (const auto& name : *names) {
    if (auto b = parse_segment_file_name(name, log_suffix)) {
      bases.push_back(*b);
    } else if (name.ends_with(".deleted") || name.ends_with(".tmp")) {
      (void)_fs.unlink(_dir / name);
    }
  }
  // Index files without a log are leftovers of a deletion or a crashed roll.
  for (const auto& name : *names) {
    auto b = parse_segment_file_name(name, index_suffix);
    if (!b) b = parse_segment_file_name(name, time_index_suffix);
    if (!b) b = parse_segment_file_name(name, txn_index_suffix);
    if (b && std::find(bases.begin(), bases.end(), *b) == bases.end()) (void)_fs.unlink(_dir / name);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

result<std::vector<std::shared_ptr<segment>>> partition_log::load_segments(std::vector<std::int64_t> bases,
                                                                           std::int64_t now) {
  const auto& o = _load_opts;
  std::vector<std::shared_ptr<segment>> segs;
  for (std::size_t i = 0; i < bases.size(); ++i) {
    auto s = segment::open(_fs, _dir, bases[i], _config, now);
    if (!s) return base::failure(s.error());
    auto& seg = *s;
    const bool beyond_next = i + 1 < bases.size() && bases[i + 1] <= o.recovery_point;
    // Unclean: segments holding offsets >= the recovery point are validated; the one containing it
    // from the recovery point on.
    const bool must_recover = seg->need_recovery() || (!o.clean_shutdown && !beyond_next);
    bool recovered = false;
    if (!must_recover) {
      auto r = seg->load_tail();
      if (!r) {
        if (r.error() != errc::corrupt_log) return base::failure(r.error());
        SPATE_LOG_WARN("event=segment_tail_corrupt topic={} partition={} base_offset={}", _topic, _partition, bases[i]);
        recovered = true;
      }
    } else {
      recovered = true;
    }
    if (recovered) {
      const std::int64_t trusted = o.clean_shutdown ? -1 : o.recovery_point;
      auto cut = seg->recover(seg->need_recovery() ? -1 : trusted);
      if (!cut) return base::failure(cut.error());
      ++_load_stats.segments_recovered;
      _load_stats.bytes_validated += seg->validated_bytes();
      _load_stats.bytes_truncated += *cut;
      if (*cut > 0 && i + 1 < bases.size()) {
        // Everything after a corrupt batch is unreachable: Kafka drops the later segments too.
        for (std::size_t j = i + 1; j < bases.size(); ++j) {
          auto later = segment::open(_fs, _dir, bases[j], _config, now);
          if (later) {
            _load_stats.bytes_truncated += (*later)->size();
            (void)(*later)->delete_files();
          }
          SPATE_LOG_WARN("event=segment_dropped_after_corruption topic={} partition={} base_offset={}", _topic,
                         _partition, bases[j]);
        }
        bases.resize(i + 1);
        _dir_dirty = true;
      }
    }
    if (!segs.empty() && segs.back()->next_offset() > seg->base_offset()) {
      SPATE_LOG_ERROR("event=segments_overlap topic={} partition={} base_offset={}", _topic, _partition,
                      seg->base_offset());
      return base::failure(errc::corrupt_log);
    }
    segs.push_back(std::move(seg));
    ++_load_stats.segments_loaded;
  }
  return segs;
}

result<void> partition_log::load() {
  const auto& o = _load_opts;
  if (auto r = finish_interrupted_cleaning(); !r) return r;
  auto bases = list_segment_bases();
  if (!bases) return base::failure(bases.error());
  const std::int64_t now = _clock.now_ms();
  auto loaded = load_segments(std::move(*bases), now);
  if (!loaded) return base::failure(loaded.error());
  auto& segs = *loaded;
  if (segs.empty()) {
    const std::int64_t base = std::max<std::int64_t>(0, o.log_start_offset);
    auto s = segment::create(_fs, _dir, base, _config, now);
    if (!s) return base::failure(s.error());
    segs.push_back(std::move(*s));
    _dir_dirty = true;
  }
  const std::int64_t leo = segs.back()->next_offset();
  const std::int64_t lso = std::min(leo, std::max(o.log_start_offset, segs.front()->base_offset()));
  {
    base::mutex_lock lock(_segments_mutex);
    for (auto& s : segs) _segments.emplace(s->base_offset(), s);
  }
  _active = segs.back();
  // What an earlier run wrote is cold: a consumer reading it drops it again (segment::read_cold).
  if (_load_opts.page_cache_keep_bytes >= 0) _sealed_untrimmed.assign(segs.begin(), segs.end() - 1);
  if (_dir_dirty) {
    if (auto r = _fs.sync_directory(_dir); !r) return base::failure(errc::io_error);
    _dir_dirty = false;
  }
  // Everything loaded is on disk: either it was synced before a clean shutdown or below the
  // recovery point, or recover() just validated and synced it. (A page-cache log's data that
  // survived a process crash in the page cache was synced by recover().)
  _log_end_offset.store(leo);
  _recovery_point.store(leo);
  _high_watermark.store(leo);
  _log_start_offset.store(lso);
  if (auto r = load_producer_state(o.clean_shutdown, o.recovery_point); !r) return r;
  // Per partition only at debug: a broker with many partitions prints one line per topic
  // (log_loader.cc), and recovery that changed data has logged its own warnings.
  SPATE_LOG_DEBUG(
      "event=log_loaded topic={} partition={} segments={} log_start_offset={} "
      "log_end_offset={} clean={} recovered_segments={} validated_bytes={} truncated_bytes={}",
      _topic, _partition, segs.size(), lso, leo, o.clean_shutdown, _load_stats.segments_recovered,
      _load_stats.bytes_validated, _load_stats.bytes_truncated);
  return {};
}

}  // namespace spate::storage
