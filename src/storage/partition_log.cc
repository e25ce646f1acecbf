#include "storage/partition_log.h"

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "model/record.h"
#include "storage/file_names.h"
#include "storage/producer_state_files.h"

namespace spate::storage {
namespace {
namespace L = model::batch_layout;
}  // namespace

partition_log::partition_log(options opts)
    : _topic(opts.topic),
      _partition(opts.partition),
      _dir(opts.dir),
      _fs(*opts.fs),
      _clock(*opts.clock),
      _pool(*opts.pool),
      _load_opts(opts),
      _config(opts.config) {}

partition_log::~partition_log() {
  // Callbacks are promised to be called exactly once.
  std::multimap<std::int64_t, durable_callback> waiters;
  {
    base::mutex_lock lock(_waiters_mutex);
    waiters.swap(_waiters);
  }
  for (auto& [o, cb] : waiters) cb(errc::shutting_down);
}

result<std::shared_ptr<partition_log>> partition_log::open(options opts) {
  SPATE_ASSERT(opts.fs && opts.clock && opts.pool, "partition_log needs fs, clock and pool");
  std::shared_ptr<partition_log> log(new partition_log(std::move(opts)));
  base::mutex_lock lock(log->_write_mutex);
  if (auto r = log->load(); !r) return base::failure(r.error());
  if (!log->_sealed_untrimmed.empty()) log->schedule_page_cache_trim();
  return log;
}

bool partition_log::should_roll(const segment& active, std::uint64_t bytes, std::int64_t last_offset,
                                std::int64_t max_timestamp, std::int64_t now_ms) const {
  const auto size = active.size();
  if (size == 0) return false;  // an empty segment takes any batch (even one over segment.bytes)
  if (size + bytes > static_cast<std::uint64_t>(_config.segment_bytes)) return true;
  // Kafka's segment.ms rule: age in the batches' own time domain when the segment has a
  // timestamped first batch (so producers with old CreateTime clocks do not roll every append),
  // else wall-clock time since the segment was created.
  const auto first = active.first_batch_timestamp();
  const auto waited = first ? max_timestamp - *first : now_ms - active.created_ms();
  if (waited > _config.segment_ms) return true;
  if (active.offset_index_full() || active.time_index_full()) return true;
  return !active.can_hold_offset(last_offset);
}

result<void> partition_log::roll(std::int64_t now_ms) {
  // On the appending thread (an event loop), as the roll is part of the append: 0.1-0.8 ms per roll
  // measured, once per segment.bytes, up to 2.6 ms while fsyncs hold the journal (bench/RESULTS.md,
  // 2026-12-07). Moving it to the pool would need the appends behind it queued per partition.
  const std::int64_t base = _log_end_offset.load();
  auto s = segment::create(_fs, _dir, base, _config, now_ms);
  if (!s) return base::failure(s.error());
  if (auto r = _active->seal(); !r) return r;
  // Producer state as of the new segment's base: a restart replays only the batches after it.
  // Not synced here (a roll must not stall appends on an fsync): a lost or torn snapshot is
  // detected by its CRC at load and an older one used.
  if (auto r = write_snapshot(_fs, _dir, base, _producers); !r)
    SPATE_LOG_WARN("event=producer_snapshot_failed topic={} partition={} offset={}", _topic, _partition, base);
  else
    note_snapshot_written(base);
  _sealed_unsynced.push_back(_active);
  if (_load_opts.page_cache_keep_bytes >= 0) _sealed_untrimmed.push_back(_active);
  _active = *s;
  _dir_dirty = true;
  {
    base::mutex_lock lock(_segments_mutex);
    _segments.emplace(base, _active);
  }
  SPATE_LOG_INFO("event=segment_rolled topic={} partition={} base_offset={}", _topic, _partition, base);
  return {};
}

void partition_log::note_snapshot_written(std::int64_t offset) {
  // A snapshot rewritten at the same offset (a roll right after a restart, at the offset close()
  // wrote) is still one file.
  const auto at = std::lower_bound(_snapshot_offsets.begin(), _snapshot_offsets.end(), offset);
  if (at == _snapshot_offsets.end() || *at != offset) _snapshot_offsets.insert(at, offset);
  constexpr std::size_t keep = 2;
  if (_snapshot_offsets.size() <= keep) return;
  const auto drop = _snapshot_offsets.size() - keep;
  for (std::size_t i = 0; i < drop; ++i) (void)_fs.unlink(_dir / snapshot_file_name(_snapshot_offsets[i]));
  _snapshot_offsets.erase(_snapshot_offsets.begin(), _snapshot_offsets.begin() + static_cast<std::ptrdiff_t>(drop));
}

result<append_result> partition_log::append(std::span<std::uint8_t> data, append_origin origin) {
  // Framing (outside the lock): whole batches, nothing trailing.
  std::vector<framed_batch> batches;
  std::optional<model::batch_header> idempotent_batch;  // the batch with a producer id, if any
  {
    model::batch_splitter splitter(data);
    std::size_t at = 0;
    for (;;) {
      auto b = splitter.next();
      if (!b) return base::failure(errc::corrupt_batch);
      if (b->empty()) break;
      auto h = model::parse_batch_header(*b);
      if (!h || h->last_offset_delta < 0) return base::failure(errc::corrupt_batch);
      if (h->producer_id >= 0) idempotent_batch = *h;
      batches.push_back({at, static_cast<std::uint32_t>(b->size()), h->last_offset_delta});
      at += b->size();
    }
    if (batches.empty() || splitter.trailing_bytes() != 0) return base::failure(errc::corrupt_batch);
    // Producer state is kept per batch; idempotent and transactional producers send one batch
    // per partition (Produce v3+), so a request mixing such a batch with others is not theirs.
    if (idempotent_batch && batches.size() > 1) return base::failure(errc::corrupt_batch);
  }

  base::mutex_lock lock(_write_mutex);
  if (idempotent_batch && origin == append_origin::client) {
    if (_failed.load()) return base::failure(errc::log_failed);
    if (_closed) return base::failure(errc::shutting_down);
    const auto verdict = _producers.check(*idempotent_batch);
    if (verdict.result == batch_check::outcome::reject) return base::failure(verdict.error);
    if (verdict.result == batch_check::outcome::duplicate) {
      append_result out;
      out.base_offset = verdict.original.first_offset;
      out.last_offset = verdict.original.last_offset;
      out.log_start_offset = _log_start_offset.load();
      out.batch_count = 1;
      out.duplicate = true;
      return out;
    }
  }
  after_write after;
  auto out = write_locked(data, batches, after);
  if (out && idempotent_batch) {
    idempotent_batch->base_offset = out->base_offset;
    _producers.record_batch(*idempotent_batch, _clock.now_ms());
    if (idempotent_batch->is_transactional()) publish_first_unstable_offset();
  }
  lock.unlock();
  finish_append(std::move(after));
  return out;
}

result<append_result> partition_log::write_locked(std::span<std::uint8_t> data,
                                                  const std::vector<framed_batch>& batches, after_write& after) {
  // A write error fails the log; its waiters are told after the write lock is released.
  auto fail_and_return = [&](errc returned, std::string_view what) -> result<append_result> {
    after.failed_waiters = mark_failed(returned, what);
    return base::failure(returned);
  };
  if (_failed.load()) return base::failure(errc::log_failed);
  if (_closed) return base::failure(errc::shutting_down);
  for (const auto& b : batches)
    if (b.size > static_cast<std::uint32_t>(std::max(0, _config.max_message_bytes)))
      return base::failure(errc::message_too_large);
  const std::int64_t now = _clock.now_ms();
  const bool append_time = _config.message_timestamp_type == model::timestamp_type::log_append_time;
  std::int64_t next = _log_end_offset.load();
  std::int64_t last = next - 1;
  std::int64_t incoming_max_ts = append_time ? now : -1;
  for (const auto& b : batches) {
    last += b.last_offset_delta + 1;
    if (!append_time)
      incoming_max_ts = std::max(incoming_max_ts, base::load_be<std::int64_t>(data.data() + b.at + L::max_timestamp));
  }
  if (should_roll(*_active, data.size(), last, incoming_max_ts, now)) {
    if (auto r = roll(now); !r) return fail_and_return(r.error(), "roll");
    if (!_config.sync_before_ack()) after.need_flush = true;  // Kafka flushes a rolled segment
  }
  std::vector<append_batch> infos;
  infos.reserve(batches.size());
  append_result out;
  out.base_offset = next;
  for (const auto& b : batches) {
    auto span = data.subspan(b.at, b.size);
    model::assign_offsets(span, next);
    if (append_time) model::set_log_append_time(span, now);
    const auto max_ts = base::load_be<std::int64_t>(span.data() + L::max_timestamp);
    next += b.last_offset_delta + 1;
    infos.push_back({b.at, b.size, next - 1, max_ts});
  }
  _active->reserve_ahead(data.size(), static_cast<std::uint64_t>(_config.segment_bytes));
  if (auto r = _active->append(data, infos); !r) return fail_and_return(r.error(), "append");
  out.last_offset = next - 1;
  out.log_append_time = append_time ? now : -1;
  out.log_start_offset = _log_start_offset.load();
  out.batch_count = static_cast<std::int32_t>(batches.size());
  _log_end_offset.store(next, std::memory_order_release);
  if (_first_unflushed_ms < 0) _first_unflushed_ms = now;
  ++_unsynced_appends;
  if (_load_opts.page_cache_keep_bytes >= 0) {
    _appended_since_trim += data.size();
    if (_appended_since_trim >= page_cache_trim_step()) {
      _appended_since_trim = 0;
      after.trim_page_cache = true;
    }
  }
  if (_config.sync_before_ack() || next - _recovery_point.load() >= _config.flush_messages) after.need_flush = true;
  after.written = true;
  after.sync_before_ack = _config.sync_before_ack();
  after.log_end_offset = next;
  return out;
}

void partition_log::finish_append(after_write after) {
  for (auto& [o, cb] : after.failed_waiters) cb(errc::io_error);
  if (!after.written) return;
  // Page-cache logs: readable and acknowledged once written (see log_config.h).
  if (!after.sync_before_ack) advance_high_watermark(after.log_end_offset);
  if (after.need_flush) schedule_flush();
  if (after.trim_page_cache) schedule_page_cache_trim();
}

void partition_log::update_config(const log_config& cfg) {
  bool flush_now = false;
  {
    base::mutex_lock lock(_write_mutex);
    flush_now = cfg.sync_before_ack() && !_config.sync_before_ack();
    _config = cfg;
  }
  // After a switch to sync-before-ack the high watermark may still be ahead of durable data (it
  // followed the page cache); a flush makes the two agree again.
  if (flush_now) schedule_flush();
}

log_config partition_log::config() const {
  base::mutex_lock lock(_write_mutex);
  return _config;
}

result<void> partition_log::close() {
  std::shared_ptr<segment> active;
  {
    base::mutex_lock lock(_write_mutex);
    if (_closed) return {};
    _closed = true;
    active = _active;
  }
  result<void> r;
  if (!_failed.load()) {
    base::mutex_lock flush_lock(_flush_mutex);
    r = flush_round();
    if (r && !active->sync_indexes()) {
      fail(errc::io_error, "close_index");
      r = base::failure(errc::io_error);
    }
    if (r) {
      // The state at the log end, so a clean restart replays nothing; skipped when the newest
      // snapshot already is at the end (an idle partition), and for an empty log without
      // producers (nothing to replay: a new broker's internal partitions). Not fsynced: a
      // snapshot lost or torn by a later crash fails its CRC and an older one plus the log tail
      // replaces it.
      base::mutex_lock lock(_write_mutex);
      const auto end = _log_end_offset.load();
      const bool nothing_to_replay = end == _log_start_offset.load() && _producers.size() == 0;
      const bool written = !_snapshot_offsets.empty() && _snapshot_offsets.back() == end;
      if (!written && !nothing_to_replay) {
        if (!write_snapshot(_fs, _dir, end, _producers)) {
          SPATE_LOG_WARN("event=producer_snapshot_failed topic={} partition={} offset={}", _topic, _partition, end);
        } else {
          note_snapshot_written(end);
        }
      }
    }
    if (r) advance_high_watermark(_log_end_offset.load());
  } else {
    r = base::failure(errc::log_failed);
  }
  std::multimap<std::int64_t, durable_callback> waiters;
  {
    base::mutex_lock lock(_waiters_mutex);
    waiters.swap(_waiters);
  }
  for (auto& [o, cb] : waiters) cb(_failed.load() ? errc::log_failed : errc::shutting_down);
  return r;
}

}  // namespace spate::storage
