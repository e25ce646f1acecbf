// partition_log's group commit (one flush round syncs many appends) and durability waiters
// (partition_log.h, "Threading contract").
#include <chrono>

#include "base/log.h"
#include "storage/partition_log.h"
#include "storage/producer_state_files.h"

namespace spate::storage {

void partition_log::advance_high_watermark(std::int64_t hw) {
  std::vector<durable_callback> ready;
  {
    base::mutex_lock lock(_waiters_mutex);
    if (hw <= _high_watermark.load()) return;
    _high_watermark.store(hw, std::memory_order_release);
    auto end = _waiters.lower_bound(hw);
    for (auto it = _waiters.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    _waiters.erase(_waiters.begin(), end);
  }
  for (auto& cb : ready) cb(errc::success);
}

void partition_log::on_durable(std::int64_t offset, durable_callback cb) {
  {
    base::mutex_lock lock(_waiters_mutex);
    if (!_failed.load() && offset >= _high_watermark.load()) {
      _waiters.emplace(offset, std::move(cb));
      return;
    }
  }
  // Order matters: a failed log reports failure even for offsets that made it.
  cb(_failed.load() ? errc::log_failed : errc::success);
}

std::multimap<std::int64_t, durable_callback> partition_log::mark_failed(errc reason, std::string_view what) {
  std::multimap<std::int64_t, durable_callback> waiters;
  const auto os_error = std::exchange(last_os_error(), {});
  base::mutex_lock lock(_waiters_mutex);
  if (!_failed.exchange(true)) {
    _failed_at_ms.store(_clock.now_ms(), std::memory_order_release);
    // The one line of this failure; recovery logs event=partition_recovered.
    SPATE_LOG_ERROR(
        "event=partition_failed topic={} partition={} error={} what={} os_error=\"{}\" "
        "log_end_offset={} recovery_point={}",
        _topic, _partition, to_string(reason), what, os_error ? os_error.message() : "", _log_end_offset.load(),
        _recovery_point.load());
  }
  waiters.swap(_waiters);
  return waiters;
}

void partition_log::fail(errc reason, std::string_view what) {
  for (auto& [o, cb] : mark_failed(reason, what)) cb(reason);
}

void partition_log::schedule_flush() {
  {
    base::mutex_lock lock(_waiters_mutex);
    if (_flush_scheduled) {
      _flush_again = true;
      return;
    }
    _flush_scheduled = true;
    _flush_again = false;
  }
  _pool.submit([self = shared_from_this()] { self->run_flush_task(); });
}

void partition_log::run_flush_task() {
  for (;;) {
    {
      base::mutex_lock flush_lock(_flush_mutex);
      (void)flush_round();
    }
    base::mutex_lock lock(_waiters_mutex);
    if (!_flush_again || _failed.load()) {
      _flush_scheduled = false;
      return;
    }
    _flush_again = false;
  }
}

result<void> partition_log::flush_round() {
  std::int64_t target;
  std::vector<std::shared_ptr<segment>> sealed;
  std::shared_ptr<segment> active;
  bool dir_dirty;
  bool sync_before_ack;
  std::vector<std::int64_t> txn_indexes;
  std::uint64_t appends;
  {
    base::mutex_lock lock(_write_mutex);
    if (_failed.load()) return base::failure(errc::log_failed);
    target = _log_end_offset.load();
    sealed.swap(_sealed_unsynced);
    txn_indexes.swap(_txn_index_unsynced);
    active = _active;
    dir_dirty = std::exchange(_dir_dirty, false);
    sync_before_ack = _config.sync_before_ack();
    appends = std::exchange(_unsynced_appends, 0);
  }
  const bool timed = _load_opts.fsync_seconds != nullptr;
  const auto sync_start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  auto failed = [&](const char* what) {
    fail(errc::io_error, what);
    return base::failure(errc::io_error);
  };
  for (auto& s : sealed) {
    s->release_reserved();
    if (!s->sync_log()) return failed("sealed_log");
    if (!s->sync_indexes()) return failed("sealed_index");
  }
  if (target > _recovery_point.load() || !sealed.empty()) {
    if (!active->sync_log()) return failed("log");
  }
  // Not synced (as before the files were opened on demand): a crash leaves recovery to re-read
  // the headers after the last entry that made it.
  if (!active->write_indexes()) return failed("index");
  // Aborted-transaction entries below the recovery point must survive: recovery rebuilds only
  // those at or after it.
  for (auto base : txn_indexes)
    if (!sync_txn_index(_fs, _dir, base)) return failed("txn_index");
  // A segment created since the last round exists only once its directory entry is durable.
  if (dir_dirty) {
    if (auto r = _fs.sync_directory(_dir); !r) {
      last_os_error() = r.error();
      return failed("directory");
    }
  }
  if (timed) {
    _load_opts.fsync_seconds->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sync_start).count());
  }
  if (appends > 0 && _load_opts.group_commit_batches != nullptr) {
    _load_opts.group_commit_batches->observe(static_cast<double>(appends));
  }
  if (target > _recovery_point.load()) _recovery_point.store(target, std::memory_order_release);
  {
    base::mutex_lock lock(_write_mutex);
    if (_log_end_offset.load() == target) _first_unflushed_ms = -1;
  }
  if (sync_before_ack) advance_high_watermark(target);
  return {};
}

result<void> partition_log::flush() {
  base::mutex_lock flush_lock(_flush_mutex);
  return flush_round();
}

void partition_log::flush_if_due() {
  bool due = false;
  std::shared_ptr<segment> active;
  {
    base::mutex_lock lock(_write_mutex);
    if (_closed || _failed.load()) return;
    due = _first_unflushed_ms >= 0 && _clock.now_ms() - _first_unflushed_ms >= _config.flush_ms;
    active = _active;
  }
  if (due) {
    schedule_flush();
    return;
  }
  // Without flush rounds (page-cache durability) the active segment's index entries reach their
  // files here, so a restart after a crash re-reads at most a tick's worth of headers.
  if (!active->write_indexes()) fail(errc::io_error, "index");
}
}  // namespace spate::storage
