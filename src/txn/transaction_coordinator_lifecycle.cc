// The transaction coordinator's work that no producer request drives directly: writing markers
// and completing transactions, timeouts, id expiry, start-up replay, shutdown, and the admin views
// (DescribeTransactions, ListTransactions).
#include <algorithm>
#include <map>
#include <set>

#include "base/assert.h"
#include "base/log.h"
#include "base/log_limit.h"
#include "io/clock.h"
#include "txn/transaction_coordinator.h"
#include "txn/transaction_coordinator_internal.h"
#include "txn/transaction_records.h"

namespace spate::txn {

// ---- Markers ----

void transaction_coordinator::start_markers(entry& e, std::int64_t now, effects& fx) {
  e.markers_left = e.meta.partitions;
  e.markers_in_flight = false;
  e.retry_at = -1;
  advance_markers(e, now, fx);
}

void transaction_coordinator::advance_markers(entry& e, std::int64_t now, effects& fx) {
  if (_shutting_down || !is_prepare(e.meta.status) || e.pending || e.markers_in_flight || e.retry_at >= 0) return;
  const bool commit = e.meta.status == transaction_status::prepare_commit;
  if (!e.markers_left.empty()) {
    e.markers_in_flight = true;
    fx.marker_writes.push_back({e.id, e.meta.producer_id, e.meta.producer_epoch, commit,
                                std::vector<topic_partition>(e.markers_left.begin(), e.markers_left.end())});
    return;
  }
  // Every marker is written: the transaction is complete.
  transaction_metadata target = e.meta;
  target.status = commit ? transaction_status::complete_commit : transaction_status::complete_abort;
  target.partitions.clear();
  target.last_update_timestamp_ms = now;
  write_state(e, std::move(target), fx, [this, commit](error_code ec, entry& current, effects& after) {
    if (ec == error_code::none) {
      (commit ? _committed : _aborted).fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // Still prepared: try again later (Kafka retries the completion append too).
    current.retry_at = _clock.now_ms() + _config.marker_retry_backoff_ms;
    after.new_deadline = true;
  });
}

void transaction_coordinator::on_markers_written(const std::string& id, std::int64_t producer_id,
                                                 std::int16_t epoch, const std::vector<topic_partition>& partitions,
                                                 const std::vector<storage::errc>& outcomes, effects& fx) {
  entry* e = find(id);
  if (!e || !e->markers_in_flight || e->meta.producer_id != producer_id || e->meta.producer_epoch != epoch) return;
  e->markers_in_flight = false;
  bool retry = false;
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    const auto& tp = partitions[i];
    // A writer that answered for fewer partitions than asked: the missing ones are retried.
    const storage::errc outcome = i < outcomes.size() ? outcomes[i] : storage::errc::io_error;
    switch (outcome) {
      case storage::errc::success: e->markers_left.erase(tp); break;
      case storage::errc::unknown_topic_or_partition:
        SPATE_LOG_INFO("event=transaction_marker_dropped transactional_id={} topic={} partition={} reason=unknown_partition",
                       id, tp.topic, tp.partition);
        e->markers_left.erase(tp);
        break;
      case storage::errc::invalid_producer_epoch:
        SPATE_LOG_WARN("event=transaction_marker_dropped transactional_id={} topic={} partition={} "
                       "reason=newer_producer_epoch epoch={}",
                       id, tp.topic, tp.partition, epoch);
        e->markers_left.erase(tp);
        break;
      default:
        // Retried until the partition takes it: a failed log would repeat this every attempt.
        SPATE_LOG_WARN_RATE_LIMITED(
            "event=transaction_marker_failed transactional_id={} topic={} partition={} error={} action=retry", id,
            tp.topic, tp.partition, storage::to_string(outcome));
        retry = true;
        break;
    }
  }
  const std::int64_t now = _clock.now_ms();
  if (retry) {
    e->retry_at = now + _config.marker_retry_backoff_ms;
    fx.new_deadline = true;
    return;
  }
  advance_markers(*e, now, fx);
}

// ---- Deadlines ----

void transaction_coordinator::expire_ids(std::int64_t now, effects& fx) {
  // Kafka's removal of expired transactional ids: idle Empty/Complete* ids get a tombstone and
  // are forgotten once it is durable.
  std::map<std::int32_t, std::vector<std::string>> by_partition;
  for (auto& [id, e] : _entries) {
    const auto s = e->meta.status;
    if (!e->durable || e->pending || !(s == transaction_status::empty || is_complete(s))) continue;
    if (e->meta.last_update_timestamp_ms > now - _config.transactional_id_expiration_ms) continue;
    e->pending = transaction_status::dead;
    by_partition[partition_for(id)].push_back(id);
  }
  for (auto& [partition, ids] : by_partition) {
    std::vector<transaction_record> tombstones;
    for (const auto& id : ids) tombstones.push_back({encode_key(id), std::nullopt});
    auto then = [this, ids = ids](storage::errc err, effects&) {
      for (const auto& id : ids) {
        entry* e = find(id);
        if (!e || e->pending != transaction_status::dead) continue;
        e->pending.reset();
        if (err == storage::errc::success) {
          SPATE_LOG_INFO("event=transactional_id_expired transactional_id={}", id);
          _entries.erase(id);
        } else {
          SPATE_LOG_WARN("event=transactional_id_expiry_failed transactional_id={} error={}", id,
                         storage::to_string(err));
        }
      }
    };
    fx.appends.push_back({partition, std::move(tombstones), std::move(then)});
  }
}

std::int64_t transaction_coordinator::expire_due() {
  effects fx;
  std::int64_t next;
  {
    std::lock_guard lock(_mutex);
    const std::int64_t now = _clock.now_ms();
    if (!_loading && !_shutting_down) {
      for (auto& [id, e] : _entries) {
        // Kafka's timedOutTransactions: started more than the timeout ago, nothing pending.
        if (!e->pending && e->meta.status == transaction_status::ongoing &&
            e->meta.start_timestamp_ms + e->meta.timeout_ms < now) {
          fence_and_abort(*e, now, fx, {});
        }
        if (e->retry_at >= 0 && now >= e->retry_at) {
          e->retry_at = -1;
          advance_markers(*e, now, fx);
        }
      }
      if (now >= _next_expiry_check) {
        expire_ids(now, fx);
        _next_expiry_check = now + _config.expired_id_check_interval_ms;
      }
    }
    next = next_deadline_locked();
  }
  fx.new_deadline = false;  // the caller waits for the deadline returned
  _runner.run(fx);
  return next;
}

std::int64_t transaction_coordinator::next_deadline() const {
  std::lock_guard lock(_mutex);
  return next_deadline_locked();
}

std::int64_t transaction_coordinator::next_deadline_locked() const {
  std::int64_t next = _next_expiry_check;
  for (const auto& [id, e] : _entries) {
    if (!e->pending && e->meta.status == transaction_status::ongoing) {
      next = std::min(next, e->meta.start_timestamp_ms + e->meta.timeout_ms + 1);
    }
    if (e->retry_at >= 0) next = std::min(next, e->retry_at);
  }
  return next;
}

void transaction_coordinator::shutdown() {
  std::lock_guard lock(_mutex);
  _shutting_down = true;
}

// ---- Start-up ----

void transaction_coordinator::load_record(base::byte_span key, std::optional<base::byte_span> value) {
  const auto id = decode_key(key);
  if (!id) {
    SPATE_LOG_WARN("event=transaction_record_skipped reason=bad_key bytes={}", key.size());
    return;
  }
  std::optional<transaction_value> v;
  if (value) {
    v = decode_value(*value);
    if (!v) {
      SPATE_LOG_WARN("event=transaction_record_skipped transactional_id={} reason=bad_value bytes={}", *id,
                     value->size());
      return;
    }
  }
  std::lock_guard lock(_mutex);
  // Invariant: replay happens before serving; a record loaded later would race live changes.
  SPATE_ASSERT(_loading, "load_record after resume_after_load");
  // A tombstone, or a Dead state (Kafka never writes it; it would mean the same), removes the id.
  if (!v || v->status == transaction_status::dead) {
    _entries.erase(*id);
    return;
  }
  if (v->status == transaction_status::prepare_epoch_fence) {
    SPATE_LOG_WARN("event=transaction_record_skipped transactional_id={} reason=prepare_epoch_fence", *id);
    return;
  }
  auto& slot = _entries[*id];
  slot = std::make_unique<entry>();
  slot->id = *id;
  slot->durable = true;
  auto& m = slot->meta;
  m.producer_id = v->producer_id;
  m.last_producer_id = v->previous_producer_id;
  m.producer_epoch = v->producer_epoch;
  m.timeout_ms = v->timeout_ms;
  m.status = v->status;
  if (v->status != transaction_status::empty) m.partitions = std::move(v->partitions);
  m.start_timestamp_ms = v->start_timestamp_ms;
  m.last_update_timestamp_ms = v->last_update_timestamp_ms;
}

void transaction_coordinator::resume_after_load() {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    if (!_loading) return;  // already serving: the markers are under way
    _loading = false;
    const std::int64_t now = _clock.now_ms();
    std::size_t resumed = 0;
    for (auto& [id, e] : _entries) {
      if (!is_prepare(e->meta.status)) continue;
      start_markers(*e, now, fx);
      ++resumed;
    }
    SPATE_LOG_INFO("event=transaction_coordinator_loaded transactional_ids={} resumed_markers={}", _entries.size(),
                   resumed);
    fx.new_deadline = true;
  }
  _runner.run(fx);
}

// ---- DescribeTransactions / ListTransactions ----

std::vector<transaction_description> transaction_coordinator::describe(
    const std::vector<std::string>& transactional_ids) const {
  std::lock_guard lock(_mutex);
  std::vector<transaction_description> out;
  out.reserve(transactional_ids.size());
  for (const auto& id : transactional_ids) {
    auto& d = out.emplace_back();
    d.transactional_id = id;
    const entry* e = find(id);
    if (const auto err = serving_error(); err != error_code::none) {
      d.error = err;
    } else if (id.empty()) {
      d.error = error_code::invalid_request;
    } else if (!e || !e->durable || e->pending == transaction_status::dead) {
      d.error = error_code::transactional_id_not_found;
    } else {
      const auto& m = e->meta;
      d.state = std::string(status_name(m.status));
      d.transaction_timeout_ms = m.timeout_ms;
      d.transaction_start_time_ms = m.start_timestamp_ms;
      d.producer_id = m.producer_id;
      d.producer_epoch = m.producer_epoch;
      for (const auto& tp : m.partitions) d.topics[tp.topic].push_back(tp.partition);
    }
  }
  return out;
}

list_transactions_result transaction_coordinator::list(const std::vector<std::string>& state_filters,
                                                       const std::vector<std::int64_t>& producer_id_filters,
                                                       std::int64_t duration_filter_ms) const {
  std::lock_guard lock(_mutex);
  list_transactions_result out;
  if (const auto err = serving_error(); err != error_code::none) {
    out.error = err;
    return out;
  }
  std::set<transaction_status> states;
  for (const auto& name : state_filters) {
    if (const auto s = status_from_name(name)) {
      states.insert(*s);
    } else {
      out.unknown_state_filters.push_back(name);
    }
  }
  const std::set<std::int64_t> producer_ids(producer_id_filters.begin(), producer_id_filters.end());
  const std::int64_t now = _clock.now_ms();
  for (const auto& [id, e] : _entries) {
    const auto& m = e->meta;
    if (!e->durable || e->pending == transaction_status::dead) continue;
    if (!producer_ids.empty() && !producer_ids.contains(m.producer_id)) continue;
    if (!state_filters.empty() && !states.contains(m.status)) continue;
    if (duration_filter_ms >= 0 && now - m.start_timestamp_ms <= duration_filter_ms) continue;
    out.transactions.push_back({id, m.producer_id, std::string(status_name(m.status))});
  }
  return out;
}

}  // namespace spate::txn
