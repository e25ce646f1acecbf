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

// The first record of `batch` with timestamp >= `timestamp` (decoding the records; one batch).
// Falls back to the batch's base offset when the records cannot be decoded.
timestamp_offset first_record_at_or_after(base::byte_span batch, std::int64_t timestamp) {
  auto view = model::validate_batch(batch, model::validation_level::stored);
  if (!view) return {};
  if (view->ts_type() == model::timestamp_type::log_append_time)
    return {view->max_timestamp(), view->base_offset()};
  auto records = model::decode_records(*view, 64u << 20);
  if (records) {
    for (const auto& r : *records)
      if (r.timestamp >= timestamp) return {r.timestamp, r.offset};
  }
  return {view->max_timestamp(), view->base_offset()};
}

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
    std::lock_guard lock(_waiters_mutex);
    waiters.swap(_waiters);
  }
  for (auto& [o, cb] : waiters) cb(errc::shutting_down);
}

result<std::shared_ptr<partition_log>> partition_log::open(options opts) {
  SPATE_ASSERT(opts.fs && opts.clock && opts.pool, "partition_log needs fs, clock and pool");
  std::shared_ptr<partition_log> log(new partition_log(std::move(opts)));
  if (auto r = log->load(); !r) return base::failure(r.error());
  return log;
}

result<void> partition_log::load() {
  const auto& o = _load_opts;
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
  const std::int64_t now = _clock.now_ms();

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
        SPATE_LOG_WARN("event=segment_tail_corrupt topic={} partition={} base_offset={}", _topic,
                       _partition, bases[i]);
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
          SPATE_LOG_WARN("event=segment_dropped_after_corruption topic={} partition={} base_offset={}",
                         _topic, _partition, bases[j]);
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
    std::lock_guard lock(_segments_mutex);
    for (auto& s : segs) _segments.emplace(s->base_offset(), s);
  }
  _active = segs.back();
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
  SPATE_LOG_INFO("event=log_loaded topic={} partition={} segments={} log_start_offset={} "
                 "log_end_offset={} clean={} recovered_segments={} validated_bytes={} truncated_bytes={}",
                 _topic, _partition, segs.size(), lso, leo, o.clean_shutdown,
                 _load_stats.segments_recovered, _load_stats.bytes_validated, _load_stats.bytes_truncated);
  return {};
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
    _snapshot_offset = base;
  prune_snapshots(_fs, _dir, 2);
  _sealed_unsynced.push_back(_active);
  _active = *s;
  _dir_dirty = true;
  {
    std::lock_guard lock(_segments_mutex);
    _segments.emplace(base, _active);
  }
  SPATE_LOG_INFO("event=segment_rolled topic={} partition={} base_offset={}", _topic, _partition, base);
  return {};
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

  std::unique_lock lock(_write_mutex);
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
  bool need_flush = false;
  auto out = write_locked(lock, data, batches, need_flush);
  if (!out) return out;
  if (idempotent_batch) {
    idempotent_batch->base_offset = out->base_offset;
    _producers.record_batch(*idempotent_batch, _clock.now_ms());
    if (idempotent_batch->is_transactional()) publish_first_unstable_offset();
  }
  finish_append(lock, need_flush);
  return out;
}

result<append_result> partition_log::write_locked(std::unique_lock<std::mutex>& lock, std::span<std::uint8_t> data,
                                                  const std::vector<framed_batch>& batches, bool& need_flush) {
  // A write error fails the log; its waiters are told after the write lock is released.
  auto fail_and_return = [&](errc returned) -> result<append_result> {
    auto waiters = mark_failed(errc::io_error);
    lock.unlock();
    for (auto& [o, cb] : waiters) cb(errc::io_error);
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
    if (auto r = roll(now); !r) return fail_and_return(r.error());
    if (!_config.sync_before_ack()) need_flush = true;  // Kafka flushes a rolled segment
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
  if (auto r = _active->append(data, infos); !r) {
    SPATE_LOG_ERROR("event=log_append_failed topic={} partition={} offset={}", _topic, _partition,
                    out.base_offset);
    return fail_and_return(r.error());
  }
  out.last_offset = next - 1;
  out.log_append_time = append_time ? now : -1;
  out.log_start_offset = _log_start_offset.load();
  out.batch_count = static_cast<std::int32_t>(batches.size());
  _log_end_offset.store(next, std::memory_order_release);
  if (_first_unflushed_ms < 0) _first_unflushed_ms = now;
  if (_config.sync_before_ack() || next - _recovery_point.load() >= _config.flush_messages) need_flush = true;
  return out;
}

void partition_log::finish_append(std::unique_lock<std::mutex>& lock, bool need_flush) {
  const bool sync_before_ack = _config.sync_before_ack();
  const std::int64_t next = _log_end_offset.load();
  lock.unlock();
  // Page-cache logs: readable and acknowledged once written (see log_config.h).
  if (!sync_before_ack) advance_high_watermark(next);
  if (need_flush) schedule_flush();
}

void partition_log::advance_high_watermark(std::int64_t hw) {
  std::vector<durable_callback> ready;
  {
    std::lock_guard lock(_waiters_mutex);
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
    std::lock_guard lock(_waiters_mutex);
    if (!_failed.load() && offset >= _high_watermark.load()) {
      _waiters.emplace(offset, std::move(cb));
      return;
    }
  }
  // Order matters: a failed log reports failure even for offsets that made it.
  cb(_failed.load() ? errc::log_failed : errc::success);
}

std::multimap<std::int64_t, durable_callback> partition_log::mark_failed(errc reason) {
  std::multimap<std::int64_t, durable_callback> waiters;
  std::lock_guard lock(_waiters_mutex);
  if (!_failed.exchange(true))
    SPATE_LOG_ERROR("event=log_failed topic={} partition={} reason={}", _topic, _partition,
                    to_string(reason));
  waiters.swap(_waiters);
  return waiters;
}

void partition_log::fail(errc reason) {
  for (auto& [o, cb] : mark_failed(reason)) cb(reason);
}

void partition_log::schedule_flush() {
  {
    std::lock_guard lock(_waiters_mutex);
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
      std::lock_guard flush_lock(_flush_mutex);
      (void)flush_round();
    }
    std::lock_guard lock(_waiters_mutex);
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
  {
    std::lock_guard lock(_write_mutex);
    if (_failed.load()) return base::failure(errc::log_failed);
    target = _log_end_offset.load();
    sealed.swap(_sealed_unsynced);
    txn_indexes.swap(_txn_index_unsynced);
    active = _active;
    dir_dirty = std::exchange(_dir_dirty, false);
    sync_before_ack = _config.sync_before_ack();
  }
  auto failed = [&](const char* what) {
    SPATE_LOG_ERROR("event=log_sync_failed topic={} partition={} what={}", _topic, _partition, what);
    fail(errc::io_error);
    return base::failure(errc::io_error);
  };
  for (auto& s : sealed) {
    if (!s->sync_log()) return failed("sealed_log");
    if (!s->sync_indexes()) return failed("sealed_index");
  }
  if (target > _recovery_point.load() || !sealed.empty()) {
    if (!active->sync_log()) return failed("log");
  }
  // Aborted-transaction entries below the recovery point must survive: recovery rebuilds only
  // those at or after it.
  for (auto base : txn_indexes)
    if (!sync_txn_index(_fs, _dir, base)) return failed("txn_index");
  // A segment created since the last round exists only once its directory entry is durable.
  if (dir_dirty && !_fs.sync_directory(_dir)) return failed("directory");
  if (target > _recovery_point.load()) _recovery_point.store(target, std::memory_order_release);
  {
    std::lock_guard lock(_write_mutex);
    if (_log_end_offset.load() == target) _first_unflushed_ms = -1;
  }
  if (sync_before_ack) advance_high_watermark(target);
  return {};
}

result<void> partition_log::flush() {
  std::lock_guard flush_lock(_flush_mutex);
  return flush_round();
}

void partition_log::flush_if_due() {
  bool due = false;
  {
    std::lock_guard lock(_write_mutex);
    due = !_closed && !_failed.load() && _first_unflushed_ms >= 0 &&
          _clock.now_ms() - _first_unflushed_ms >= _config.flush_ms;
  }
  if (due) schedule_flush();
}

std::vector<std::shared_ptr<segment>> partition_log::segments_from(std::int64_t offset) const {
  std::vector<std::shared_ptr<segment>> out;
  std::lock_guard lock(_segments_mutex);
  auto it = _segments.upper_bound(offset);
  if (it != _segments.begin()) --it;
  for (; it != _segments.end(); ++it) out.push_back(it->second);
  return out;
}

std::vector<std::shared_ptr<segment>> partition_log::segments() const {
  std::vector<std::shared_ptr<segment>> out;
  std::lock_guard lock(_segments_mutex);
  for (const auto& [b, s] : _segments) out.push_back(s);
  return out;
}

std::uint64_t partition_log::size_bytes() const {
  std::uint64_t total = 0;
  for (const auto& s : segments()) total += s->size();
  return total;
}

std::size_t partition_log::segment_count() const {
  std::lock_guard lock(_segments_mutex);
  return _segments.size();
}

result<read_result> partition_log::read(std::int64_t start, std::size_t max_bytes, std::int64_t max_offset,
                                        base::byte_buffer* buffer) const {
  read_result out;
  out.high_watermark = high_watermark();
  out.log_end_offset = log_end_offset();
  out.log_start_offset = log_start_offset();
  out.next_offset = start;
  if (start < out.log_start_offset || start > out.log_end_offset)
    return base::failure(errc::offset_out_of_range);
  max_offset = std::min(max_offset, out.log_end_offset);
  if (start >= max_offset) return out;

  for (const auto& seg : segments_from(start)) {
    const auto limit = seg->size();
    auto first = seg->find_batch(start, limit);
    if (!first) return base::failure(first.error());
    if (!*first) continue;  // nothing at or after `start` here: the next segment
    const auto& loc = **first;
    if (loc.last_offset >= max_offset) return out;
    std::uint64_t end = loc.position + loc.size;
    std::int64_t next = loc.last_offset + 1;
    const std::uint64_t want_end =
        std::min<std::uint64_t>(limit, loc.position + std::max<std::uint64_t>(max_bytes, loc.size));
    if (buffer) {
      const auto want = static_cast<std::size_t>(want_end - loc.position);
      if (buffer->size() < want) buffer->resize(want);
      auto n = seg->pread(std::span<std::uint8_t>(buffer->data(), want), loc.position);
      if (!n) return base::failure(n.error());
      // Invariant: the first batch is below the size snapshot, so it is all there.
      SPATE_ASSERT(*n >= loc.size, "short read inside a segment");
      // Whole batches below max_offset that fit.
      std::size_t at = loc.size;
      while (at + L::header_size <= *n) {
        const auto* p = buffer->data() + at;
        const auto len = base::load_be<std::int32_t>(p + L::batch_length);
        if (len < static_cast<std::int32_t>(L::header_size - L::log_overhead)) break;
        const auto size = L::log_overhead + static_cast<std::size_t>(len);
        const auto last = base::load_be<std::int64_t>(p + L::base_offset) +
                          base::load_be<std::int32_t>(p + L::last_offset_delta);
        if (at + size > *n || last >= max_offset) break;
        at += size;
        next = last + 1;
      }
      end = loc.position + at;
      out.records = base::byte_span(buffer->data(), at);
    } else {
      for (;;) {
        auto l = seg->read_location(end, want_end);
        if (!l) return base::failure(l.error());
        if (!*l || (*l)->last_offset >= max_offset) break;
        end += (*l)->size;
        next = (*l)->last_offset + 1;
      }
    }
    out.next_offset = next;
    out.source = seg;
    out.fd = seg->native_handle();
    out.file_position = loc.position;
    out.file_length = static_cast<std::size_t>(end - loc.position);
    return out;
  }
  return out;
}

result<std::optional<timestamp_offset>> partition_log::offset_for_timestamp(std::int64_t timestamp,
                                                                           std::int64_t max_offset) const {
  using opt = std::optional<timestamp_offset>;
  const auto lso = log_start_offset();
  for (const auto& seg : segments_from(lso)) {
    if (seg->max_timestamp() < timestamp) continue;
    const auto limit = seg->size();
    auto loc = seg->find_batch_by_timestamp(timestamp, limit);
    if (!loc) return base::failure(loc.error());
    if (!*loc) continue;
    // Batches wholly below the log start offset are gone for readers.
    while (*loc && (*loc)->last_offset < lso) {
      auto nxt = seg->read_location((*loc)->position + (*loc)->size, limit);
      if (!nxt) return base::failure(nxt.error());
      *loc = *nxt;
      while (*loc && (*loc)->max_timestamp < timestamp) {
        nxt = seg->read_location((*loc)->position + (*loc)->size, limit);
        if (!nxt) return base::failure(nxt.error());
        *loc = *nxt;
      }
    }
    if (!*loc) continue;
    if ((*loc)->last_offset >= max_offset) return opt();
    base::byte_buffer bytes((*loc)->size);
    auto n = seg->pread(bytes, (*loc)->position);
    if (!n) return base::failure(n.error());
    auto found = first_record_at_or_after(bytes, timestamp);
    if (found.offset < 0) return base::failure(errc::corrupt_log);
    if (found.offset < lso) found.offset = lso;
    return opt(found);
  }
  return opt();
}

result<std::optional<timestamp_offset>> partition_log::max_timestamp() const {
  using opt = std::optional<timestamp_offset>;
  std::shared_ptr<segment> best;
  for (const auto& seg : segments_from(log_start_offset()))
    if (seg->max_timestamp() >= 0 && (!best || seg->max_timestamp() > best->max_timestamp())) best = seg;
  if (!best) return opt();
  const auto ts = best->max_timestamp();
  auto loc = best->find_batch(best->offset_of_max_timestamp(), best->size());
  if (!loc) return base::failure(loc.error());
  if (!*loc) return opt(timestamp_offset{ts, best->offset_of_max_timestamp()});
  base::byte_buffer bytes((*loc)->size);
  auto n = best->pread(bytes, (*loc)->position);
  if (!n) return base::failure(n.error());
  return opt(first_record_at_or_after(bytes, ts));
}

void partition_log::delete_segments(std::vector<std::shared_ptr<segment>> doomed) {
  for (auto& s : doomed) {
    if (!s->delete_files())
      SPATE_LOG_WARN("event=segment_delete_failed topic={} partition={} base_offset={}", _topic,
                     _partition, s->base_offset());
    else
      SPATE_LOG_INFO("event=segment_deleted topic={} partition={} base_offset={}", _topic, _partition,
                     s->base_offset());
  }
}

result<std::int64_t> partition_log::delete_records(std::int64_t offset) {
  std::vector<std::shared_ptr<segment>> doomed;
  std::int64_t lso;
  {
    std::lock_guard lock(_write_mutex);
    if (_failed.load()) return base::failure(errc::log_failed);
    if (offset < 0 || offset > high_watermark()) return base::failure(errc::offset_out_of_range);
    lso = std::max(offset, _log_start_offset.load());
    _log_start_offset.store(lso, std::memory_order_release);
    // Producers whose batches are all gone are unknown again (Kafka's truncateHead).
    _producers.remove_below(lso);
    std::lock_guard seg_lock(_segments_mutex);
    for (auto it = _segments.begin(); it != _segments.end();) {
      auto nxt = std::next(it);
      if (nxt == _segments.end() || nxt->first > lso) break;
      doomed.push_back(it->second);
      it = _segments.erase(it);
    }
  }
  {
    std::lock_guard lock(_aborted_mutex);
    _aborted.remove_below(lso);
  }
  delete_segments(std::move(doomed));
  return lso;
}

result<retention_result> partition_log::enforce_retention() {
  retention_result out;
  std::vector<std::shared_ptr<segment>> doomed;
  {
    std::lock_guard lock(_write_mutex);
    if (_failed.load()) return base::failure(errc::log_failed);
    const auto now = _clock.now_ms();
    std::lock_guard seg_lock(_segments_mutex);
    // Time and size retention belong to the delete policy; a compact-only log (Kafka:
    // __consumer_offsets) keeps its segments until compaction replaces them.
    const bool delete_policy = _config.cleanup_policy.find("delete") != std::string::npos;
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
    std::lock_guard lock(_aborted_mutex);
    _aborted.remove_below(out.log_start_offset);
  }
  if (!doomed.empty())
    SPATE_LOG_INFO("event=retention topic={} partition={} segments_deleted={} bytes_deleted={} "
                   "log_start_offset={}",
                   _topic, _partition, out.segments_deleted, out.bytes_deleted, out.log_start_offset);
  delete_segments(std::move(doomed));
  return out;
}

void partition_log::update_config(const log_config& cfg) {
  bool flush_now = false;
  {
    std::lock_guard lock(_write_mutex);
    flush_now = cfg.sync_before_ack() && !_config.sync_before_ack();
    _config = cfg;
  }
  // After a switch to sync-before-ack the high watermark may still be ahead of durable data (it
  // followed the page cache); a flush makes the two agree again.
  if (flush_now) schedule_flush();
}

log_config partition_log::config() const {
  std::lock_guard lock(_write_mutex);
  return _config;
}

result<void> partition_log::close() {
  std::shared_ptr<segment> active;
  {
    std::lock_guard lock(_write_mutex);
    if (_closed) return {};
    _closed = true;
    active = _active;
  }
  result<void> r;
  if (!_failed.load()) {
    std::lock_guard flush_lock(_flush_mutex);
    r = flush_round();
    if (r && !active->sync_indexes()) {
      fail(errc::io_error);
      r = base::failure(errc::io_error);
    }
    if (r) {
      // The state at the log end, so a clean restart replays nothing; skipped when the newest
      // snapshot already is at the end (an idle partition). Not fsynced: a snapshot lost or torn
      // by a later crash fails its CRC and an older one plus the log tail replaces it.
      std::lock_guard lock(_write_mutex);
      const auto end = _log_end_offset.load();
      if (_snapshot_offset != end) {
        if (!write_snapshot(_fs, _dir, end, _producers)) {
          SPATE_LOG_WARN("event=producer_snapshot_failed topic={} partition={} offset={}", _topic, _partition, end);
        } else {
          _snapshot_offset = end;
          prune_snapshots(_fs, _dir, 2);
        }
      }
    }
    if (r) advance_high_watermark(_log_end_offset.load());
  } else {
    r = base::failure(errc::log_failed);
  }
  std::multimap<std::int64_t, durable_callback> waiters;
  {
    std::lock_guard lock(_waiters_mutex);
    waiters.swap(_waiters);
  }
  for (auto& [o, cb] : waiters) cb(_failed.load() ? errc::log_failed : errc::shutting_down);
  return r;
}

result<void> partition_log::delete_all_segments() {
  std::vector<std::shared_ptr<segment>> doomed;
  {
    std::lock_guard lock(_segments_mutex);
    for (auto& [b, s] : _segments) doomed.push_back(s);
  }
  delete_segments(std::move(doomed));
  return {};
}

}  // namespace spate::storage
