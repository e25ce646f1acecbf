// log_manager's side of the log cleaner: which log to clean next, the progress of each log
// (cleaner-offset-checkpoint) and the state shown by status and metrics (log_manager.h).
#include <algorithm>

#include "base/log.h"
#include "storage/checkpoint.h"
#include "storage/file_names.h"
#include "storage/log_manager.h"

namespace spate::storage {

void log_manager::load_cleaner_checkpoint() const {
  if (_cleaner_loaded) return;
  _cleaner_loaded = true;
  for (const auto& [tp, offset] : read_checkpoint(_fs, _cfg.data_dir / cleaner_checkpoint_file)) {
    auto& e = _cleaner[tp];
    e.first_dirty_offset = offset;
    e.state.topic = tp.topic;
    e.state.partition = tp.partition;
    e.state.first_dirty_offset = offset;
  }
}

result<void> log_manager::write_cleaner_checkpoint() {
  base::mutex_lock file_lock(_cleaner_checkpoint_mutex);
  offset_checkpoint c;
  {
    base::mutex_lock lock(_cleaner_mutex);
    for (const auto& [tp, e] : _cleaner) c[tp] = e.first_dirty_offset;
  }
  return write_checkpoint(_fs, _cfg.data_dir / cleaner_checkpoint_file, c);
}

result<std::optional<cleaning_stats>> log_manager::clean_next(const cleaner_settings& settings, io_throttle& throttle) {
  const auto logs = all_logs();
  std::map<model::topic_partition, std::int64_t> first_dirty;
  {
    base::mutex_lock lock(_cleaner_mutex);
    load_cleaner_checkpoint();
    for (const auto& [tp, e] : _cleaner) first_dirty[tp] = e.first_dirty_offset;
  }
  // Measured without the cleaner lock: cleanable() takes each log's write lock briefly.
  struct candidate {
    std::shared_ptr<partition_log> log;
    model::topic_partition tp;
    cleanable_summary summary;
  };
  std::vector<candidate> candidates;
  for (const auto& log : logs) {
    model::topic_partition tp{log->topic(), log->partition()};
    const auto it = first_dirty.find(tp);
    auto s = log->cleanable(it == first_dirty.end() ? 0 : it->second);
    // A failed log waits for its recovery (log_manager_recovery.cc), as retention does.
    if (s.compact && !log->failed()) candidates.push_back({log, std::move(tp), s});
  }
  std::optional<candidate> chosen;
  {
    base::mutex_lock lock(_cleaner_mutex);
    for (const auto& c : candidates) {
      auto& e = _cleaner[c.tp];
      e.state.topic = c.tp.topic;
      e.state.partition = c.tp.partition;
      e.state.dirty_ratio = c.summary.dirty_ratio;
      e.state.uncleanable = e.uncleanable;
      // Another thread may have cleaned it since the measurement: that measurement is stale.
      const auto measured = first_dirty.find(c.tp);
      const bool stale = (measured == first_dirty.end() ? 0 : measured->second) != e.first_dirty_offset;
      if (!c.summary.due || e.uncleanable || stale || _cleaning.contains(c.tp)) continue;
      if (!chosen || c.summary.dirty_ratio > chosen->summary.dirty_ratio) chosen = c;
    }
    if (!chosen) return std::nullopt;
    _cleaning.insert(chosen->tp);
    _cleaner[chosen->tp].state.in_progress = true;
  }
  auto r = chosen->log->clean(chosen->summary.first_dirty_offset, settings, throttle);
  {
    base::mutex_lock lock(_cleaner_mutex);
    _cleaning.erase(chosen->tp);
    auto& e = _cleaner[chosen->tp];
    e.state.in_progress = false;
    // A disk error (the disk filled up, the log failed) passes: the next round tries again. Only
    // what cleaning itself cannot get past (a corrupt batch, a map too small) makes it uncleanable.
    const bool transient =
        !r && (r.error() == errc::shutting_down || r.error() == errc::io_error || r.error() == errc::log_failed ||
               r.error() == errc::too_many_open_files || chosen->log->failed());
    if (!r && !transient) {
      // Kafka's "uncleanable partitions": skipped from now on rather than retried in a loop.
      e.uncleanable = true;
      e.state.uncleanable = true;
      SPATE_LOG_ERROR("event=log_uncleanable topic={} partition={} error={}", chosen->tp.topic, chosen->tp.partition,
                      to_string(r.error()));
    }
    if (r && *r) {
      const auto& st = **r;
      e.first_dirty_offset = st.end_offset;
      e.state.first_dirty_offset = st.end_offset;
      e.state.last_cleaning_ms = _clock.now_ms();
      ++e.state.cleanings;
      e.state.bytes_read += st.bytes_read;
      e.state.bytes_written += st.bytes_written;
      e.state.records_removed += st.records_removed;
      e.state.last_duration_ms = st.duration_ms;
    }
  }
  _cleaner_done.notify_all();
  // A log closed or deleted under the cleaner is not an error of the cleaner.
  if (!r && r.error() == errc::shutting_down) return std::nullopt;
  if (!r) return base::failure(r.error());
  if (*r) {
    if (auto w = write_cleaner_checkpoint(); !w)
      SPATE_LOG_WARN("event=cleaner_checkpoint_failed path={}", (_cfg.data_dir / cleaner_checkpoint_file).string());
  }
  return r;
}

std::vector<cleaner_log_state> log_manager::cleaner_states() const {
  const auto logs = all_logs();
  std::map<model::topic_partition, cleaner_entry> entries;
  {
    base::mutex_lock lock(_cleaner_mutex);
    load_cleaner_checkpoint();
    entries = _cleaner;
  }
  std::vector<cleaner_log_state> out;
  for (const auto& log : logs) {
    const model::topic_partition tp{log->topic(), log->partition()};
    const auto it = entries.find(tp);
    const auto fd = it == entries.end() ? 0 : it->second.first_dirty_offset;
    const auto s = log->cleanable(fd);
    if (!s.compact) continue;
    cleaner_log_state st = it == entries.end() ? cleaner_log_state{} : it->second.state;
    st.topic = tp.topic;
    st.partition = tp.partition;
    st.dirty_ratio = s.dirty_ratio;
    st.first_dirty_offset = s.first_dirty_offset;
    out.push_back(std::move(st));
  }
  return out;
}

void log_manager::stop_cleaning(const std::vector<std::shared_ptr<partition_log>>& logs, bool forget) {
  for (const auto& log : logs) log->abort_cleaning();
  {
    base::mutex_lock lock(_cleaner_mutex);
    for (;;) {
      // A plain loop, not a lambda: the analysis checks the guarded read under the lock.
      bool busy = false;
      for (const auto& log : logs) busy = busy || _cleaning.contains({log->topic(), log->partition()});
      if (!busy) break;
      _cleaner_done.wait(_cleaner_mutex);
    }
    if (!forget) return;
    for (const auto& log : logs) _cleaner.erase(model::topic_partition{log->topic(), log->partition()});
  }
  if (!write_cleaner_checkpoint())
    SPATE_LOG_WARN("event=cleaner_checkpoint_failed path={}", (_cfg.data_dir / cleaner_checkpoint_file).string());
}

}  // namespace spate::storage
