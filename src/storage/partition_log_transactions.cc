// partition_log's idempotence and transaction state: markers, the last stable offset, aborted
// transactions, producer expiry, and rebuilding it all at load (partition_log.h).
#include <algorithm>
#include <map>

#include "base/log.h"
#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/file_names.h"
#include "storage/partition_log.h"
#include "storage/producer_state_files.h"

namespace spate::storage {
namespace {

struct marker {
  bool commit = false;
  std::int32_t coordinator_epoch = -1;
};

// The transaction marker a control batch holds (its one record: key version int16 + type
// int16, value version int16 + coordinator epoch int32); nullopt for other control records.
std::optional<marker> read_marker(base::byte_span batch) {
  auto view = model::validate_batch(batch, model::validation_level::stored);
  if (!view) return std::nullopt;
  auto records = model::decode_records(*view, 1u << 20);
  if (!records || records->empty() || !records->front().key || records->front().key->size() < 4)
    return std::nullopt;
  const auto& r = records->front();
  const auto type = base::load_be<std::int16_t>(r.key->data() + 2);
  if (type != static_cast<std::int16_t>(model::control_record_type::abort) &&
      type != static_cast<std::int16_t>(model::control_record_type::commit))
    return std::nullopt;
  marker out;
  out.commit = type == static_cast<std::int16_t>(model::control_record_type::commit);
  if (r.value && r.value->size() >= 6) out.coordinator_epoch = base::load_be<std::int32_t>(r.value->data() + 2);
  return out;
}

}  // namespace

void partition_log::publish_first_unstable_offset() {
  _first_unstable_offset.store(_producers.first_unstable_offset().value_or(INT64_MAX), std::memory_order_release);
}

std::int64_t partition_log::last_stable_offset() const {
  return std::min(_first_unstable_offset.load(std::memory_order_acquire), high_watermark());
}

std::vector<aborted_txn> partition_log::aborted_transactions(std::int64_t fetch_offset,
                                                             std::int64_t upper_bound_offset) const {
  base::mutex_lock lock(_aborted_mutex);
  return _aborted.collect(fetch_offset, upper_bound_offset);
}

std::vector<producer_entry> partition_log::producers() const {
  base::mutex_lock lock(_write_mutex);
  return _producers.entries();
}

std::size_t partition_log::expire_producers(std::int64_t expiration_ms) {
  base::mutex_lock lock(_write_mutex);
  return _producers.expire(_clock.now_ms(), expiration_ms);
}

std::optional<aborted_txn> partition_log::apply_marker(std::int64_t producer_id, std::int16_t epoch,
                                                       std::int32_t coordinator_epoch, bool commit,
                                                       std::int64_t offset, std::int64_t now_ms) {
  std::optional<aborted_txn> aborted;
  const auto* entry = _producers.find(producer_id);
  if (!commit && entry && entry->current_txn_first_offset >= 0) {
    const completed_txn txn{producer_id, entry->current_txn_first_offset, offset, true};
    aborted = aborted_txn{producer_id, txn.first_offset, offset, _producers.last_stable_offset_after(txn)};
  }
  (void)_producers.record_marker(producer_id, epoch, coordinator_epoch, commit, offset, now_ms);
  publish_first_unstable_offset();
  if (aborted) {
    base::mutex_lock lock(_aborted_mutex);
    _aborted.add(*aborted);
  }
  return aborted;
}

result<append_result> partition_log::append_marker(std::int64_t producer_id, std::int16_t epoch,
                                                   std::int32_t coordinator_epoch, bool commit) {
  const auto type = commit ? model::control_record_type::commit : model::control_record_type::abort;
  base::mutex_lock lock(_write_mutex);
  if (auto e = _producers.check_marker(producer_id, epoch); e != errc::success) return base::failure(e);
  const std::int64_t now = _clock.now_ms();
  // Built under the lock: the marker's record carries its own offset.
  const std::int64_t offset = _log_end_offset.load();
  model::record_batch_builder builder(model::compression_type::none, offset);
  builder.set_producer(producer_id, epoch, model::no_sequence).set_transactional().set_control();
  builder.add(model::make_end_txn_marker(type, coordinator_epoch, offset, now));
  auto bytes = builder.build();
  const std::vector<framed_batch> batches{{0, static_cast<std::uint32_t>(bytes.size()), 0}};
  after_write after;
  auto out = write_locked(bytes, batches, after);
  if (!out) {
    lock.unlock();
    finish_append(std::move(after));
    return out;
  }
  if (auto aborted = apply_marker(producer_id, epoch, coordinator_epoch, commit, out->base_offset, now)) {
    const auto segment_base = _active->base_offset();
    if (!append_txn_index(_fs, _dir, segment_base, *aborted)) {
      // The marker is in the log; recovery rebuilds the entry from it (replay from the snapshot).
      SPATE_LOG_WARN("event=txn_index_write_failed topic={} partition={} offset={}", _topic, _partition,
                     out->base_offset);
    } else if (std::find(_txn_index_unsynced.begin(), _txn_index_unsynced.end(), segment_base) ==
               _txn_index_unsynced.end()) {
      _txn_index_unsynced.push_back(segment_base);
    }
  }
  lock.unlock();
  finish_append(std::move(after));
  return out;
}

result<void> partition_log::replay_producer_state(std::int64_t from, std::int64_t now_ms) {
  base::byte_buffer header(model::batch_layout::header_size);
  base::byte_buffer batch;
  for (const auto& seg : segments_from(from)) {
    const auto limit = seg->size();
    auto loc = seg->find_batch(from, limit);
    if (!loc) return base::failure(loc.error());
    while (*loc) {
      const auto& l = **loc;
      auto n = seg->pread(header, l.position);
      if (!n) return base::failure(n.error());
      auto h = model::parse_batch_header(header);
      if (!h) return base::failure(errc::corrupt_log);
      if (h->producer_id >= 0) {
        if (h->is_control()) {
          batch.resize(l.size);
          auto m = seg->pread(batch, l.position);
          if (!m) return base::failure(m.error());
          if (auto m = read_marker(batch))
            (void)apply_marker(h->producer_id, h->producer_epoch, m->coordinator_epoch, m->commit, h->base_offset,
                               now_ms);
        } else {
          _producers.record_batch(*h, now_ms);
        }
      }
      loc = seg->read_location(l.position + l.size, limit);
      if (!loc) return base::failure(loc.error());
    }
  }
  publish_first_unstable_offset();
  return {};
}

result<void> partition_log::load_producer_state(bool clean_shutdown, std::int64_t recovery_point) {
  const std::int64_t leo = _log_end_offset.load();
  const std::int64_t now = _clock.now_ms();
  auto names = _fs.list_directory(_dir);
  if (!names) return base::failure(errc::io_error);
  // After a crash only state at or below the recovery point is known to match durable data.
  const std::int64_t limit = clean_shutdown ? leo : std::min(leo, recovery_point);
  auto snapshot = load_snapshot(_fs, _dir, *names, limit, now);
  std::int64_t from = _log_start_offset.load();
  _snapshot_offsets.clear();
  if (snapshot) {
    // load_snapshot deleted the newer ones (unusable, or beyond the limit); the older ones stay.
    for (const auto o : snapshot_offsets(*names))
      if (o <= snapshot->offset) _snapshot_offsets.push_back(o);
    _producers = std::move(snapshot->table);
    from = std::max(from, snapshot->offset);
  }

  // Aborted-transaction entries: those of markers before `from` come from the files; the rest
  // are rebuilt by the replay, and files that disagree are rewritten.
  // The directory listing says which segments have one, so segments without aborts cost no I/O.
  std::map<std::int64_t, std::vector<aborted_txn>> on_disk;
  for (const auto& name : *names) {
    const auto base = parse_segment_file_name(name, txn_index_suffix);
    if (!base) continue;
    auto entries = read_txn_index(_fs, _dir, *base);
    if (!entries) {
      SPATE_LOG_WARN("event=txn_index_unreadable topic={} partition={} base_offset={}", _topic, _partition, *base);
      entries = std::vector<aborted_txn>{};
    }
    {
      base::mutex_lock lock(_aborted_mutex);
      for (const auto& e : *entries)
        if (e.last_offset < from && e.last_offset >= _log_start_offset.load()) _aborted.add(e);
    }
    on_disk.emplace(*base, std::move(*entries));
  }
  if (from < leo) {
    if (auto r = replay_producer_state(from, now); !r) return r;
  } else {
    publish_first_unstable_offset();
  }
  const auto segs = segments();
  base::mutex_lock lock(_aborted_mutex);
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const auto base = segs[i]->base_offset();
    const auto end = i + 1 < segs.size() ? segs[i + 1]->base_offset() : INT64_MAX;
    std::vector<aborted_txn> want;
    for (const auto& e : _aborted.entries())
      if (e.last_offset >= base && e.last_offset < end) want.push_back(e);
    if (want != on_disk[base]) {
      if (auto r = rewrite_txn_index(_fs, _dir, base, want); !r) return r;
    }
  }
  if (from < leo || _producers.size() > 0)
    SPATE_LOG_INFO("event=producer_state_loaded topic={} partition={} snapshot_offset={} replayed_from={} "
                   "producers={} aborted_txns={}",
                   _topic, _partition, snapshot ? snapshot->offset : -1, from, _producers.size(), _aborted.size());
  return {};
}

}  // namespace spate::storage
