// The requests a producer sends (InitProducerId, AddPartitionsToTxn/AddOffsetsToTxn, EndTxn) and
// the machinery they share: appending a state change and running collected effects. Markers,
// timeouts, expiry, loading and the admin views are in transaction_coordinator_lifecycle.cc.
#include "txn/transaction_coordinator.h"

#include <algorithm>
#include <limits>

#include "base/assert.h"
#include "base/log.h"
#include "io/clock.h"
#include "txn/append_error.h"
#include "txn/epoch_bump.h"
#include "txn/marker_writer.h"
#include "txn/producer_id_manager.h"
#include "txn/transaction_coordinator_internal.h"
#include "txn/transaction_log.h"
#include "txn/transaction_records.h"

namespace spate::txn {
namespace {

transaction_value to_value(const transaction_metadata& m) {
  transaction_value v;
  v.producer_id = m.producer_id;
  v.producer_epoch = m.producer_epoch;
  v.timeout_ms = m.timeout_ms;
  v.status = m.status;
  if (m.status != transaction_status::empty) v.partitions = m.partitions;
  v.last_update_timestamp_ms = m.last_update_timestamp_ms;
  v.start_timestamp_ms = m.start_timestamp_ms;
  return v;
}

template <typename Effects, typename Callback, typename Result>
void answer(Effects& fx, Callback done, Result result) {
  fx.answers.push_back([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

add_partitions_result add_result(error_code e, std::size_t partitions) {
  return add_partitions_result{.error = e, .partition_errors = std::vector<error_code>(partitions, e)};
}

}  // namespace

transaction_coordinator::transaction_coordinator(coordinator_config config, transaction_log& log,
                                                 marker_writer& markers, producer_id_allocator& producer_ids,
                                                 io::clock& clock)
    : _config(config),
      _log(log),
      _markers(markers),
      _producer_ids(producer_ids),
      _clock(clock),
      _runner(
          _mutex, [this](effects& fx) { start_appends(fx); }, [this](effects& fx) { start_marker_writes(fx); }),
      _next_expiry_check(clock.now_ms() + config.expired_id_check_interval_ms) {}

transaction_coordinator::~transaction_coordinator() = default;

void transaction_coordinator::set_wakeup(std::function<void()> wakeup) { _runner.set_wakeup(std::move(wakeup)); }

std::int32_t transaction_coordinator::partition_for(std::string_view transactional_id) const {
  return partition_for_transactional_id(transactional_id, _log.partition_count());
}

std::size_t transaction_coordinator::transaction_count() const {
  std::lock_guard lock(_mutex);
  return _entries.size();
}

transaction_coordinator::entry* transaction_coordinator::find(std::string_view transactional_id) const {
  const auto it = _entries.find(transactional_id);
  return it == _entries.end() ? nullptr : it->second.get();
}

error_code transaction_coordinator::serving_error() const {
  if (_shutting_down) return error_code::coordinator_not_available;
  if (_loading) return error_code::coordinator_load_in_progress;
  return error_code::none;
}

void transaction_coordinator::start_appends(effects& fx) {
  for (auto& a : fx.appends) {
    _log.append(a.partition, std::move(a.records), _runner.resume(std::move(a.then)));
  }
}

void transaction_coordinator::start_marker_writes(effects& fx) {
  for (auto& m : fx.marker_writes) {
    auto done =
        _runner.resume([this, id = std::move(m.transactional_id), producer_id = m.producer_id, epoch = m.producer_epoch,
                        partitions = m.partitions](std::vector<storage::errc> outcomes, effects& after) {
          on_markers_written(id, producer_id, epoch, partitions, outcomes, after);
        });
    _markers.write_markers(m.producer_id, m.producer_epoch, _config.coordinator_epoch, m.commit,
                           std::move(m.partitions), std::move(done));
  }
}

void transaction_coordinator::write_state(entry& e, transaction_metadata target, effects& fx, then_fn then) {
  // Invariant: one change at a time per id; callers check `pending` first.
  SPATE_ASSERT(!e.pending, "a transaction state change is already pending");
  e.pending = target.status;
  std::vector<transaction_record> records;
  records.push_back({encode_key(e.id), encode_value(to_value(target))});
  auto applied = [this, id = e.id, target = std::move(target), then = std::move(then)](storage::errc err,
                                                                                      effects& after) {
    entry* current = find(id);
    // Invariant: an id with a pending change is never removed.
    SPATE_ASSERT(current, "a transactional id vanished while its record was being appended");
    current->pending.reset();
    const error_code ec = append_error(err);
    if (ec == error_code::none) {
      current->meta = target;
      current->durable = true;
    } else {
      SPATE_LOG_WARN("event=transaction_state_append_failed transactional_id={} target={} error={}", id,
                     status_name(target.status), storage::to_string(err));
    }
    // The change may have started (or ended) a transaction whose timeout is a new deadline.
    after.new_deadline = true;
    then(ec, *current, after);
  };
  fx.appends.push_back({partition_for(e.id), std::move(records), std::move(applied)});
}

// ---- InitProducerId ----

void transaction_coordinator::init_producer_id(init_producer_id_request req,
                                               std::function<void(init_producer_id_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    if (const auto e = serving_error(); e != error_code::none) {
      answer(fx, std::move(done), init_producer_id_result{.error = e});
    } else if (!req.transactional_id) {
      // An idempotent producer: a fresh id at epoch 0, nothing to remember.
      auto id = _producer_ids.allocate();
      answer(fx, std::move(done),
             id ? init_producer_id_result{.producer_id = *id, .producer_epoch = 0}
                : init_producer_id_result{.error = error_code::coordinator_load_in_progress});
    } else {
      init_transactional(req, done, _clock.now_ms(), fx);
    }
  }
  _runner.run(fx);
}

void transaction_coordinator::init_transactional(init_producer_id_request& req,
                                                 std::function<void(init_producer_id_result)>& done,
                                                 std::int64_t now, effects& fx) {
  auto fail = [&](error_code e) { answer(fx, std::move(done), init_producer_id_result{.error = e}); };
  const std::string& id = *req.transactional_id;
  if (id.empty() || id.size() > max_record_string_bytes) return fail(error_code::invalid_request);
  // Kafka's handler: either both the producer id and epoch are given (KIP-360) or neither.
  const bool has_producer_id = req.producer_id != no_producer_id;
  if (has_producer_id != (req.producer_epoch != no_producer_epoch)) return fail(error_code::invalid_request);
  if (req.transaction_timeout_ms <= 0 || req.transaction_timeout_ms > _config.transaction_max_timeout_ms) {
    return fail(error_code::invalid_transaction_timeout);
  }

  entry* e = find(id);
  if (!e) {
    auto producer_id = _producer_ids.allocate();
    if (!producer_id) return fail(error_code::coordinator_load_in_progress);
    auto created = std::make_unique<entry>();
    created->id = id;
    created->meta.producer_id = *producer_id;
    created->meta.timeout_ms = req.transaction_timeout_ms;
    created->meta.last_update_timestamp_ms = now;
    e = created.get();
    _entries.emplace(id, std::move(created));
  }
  if (e->pending) return fail(error_code::concurrent_transactions);

  const transaction_metadata& m = e->meta;
  if (has_producer_id && !is_valid_producer_id(m, req.producer_id, req.producer_epoch)) {
    return fail(error_code::producer_fenced);
  }
  switch (m.status) {
    case transaction_status::prepare_commit:
    case transaction_status::prepare_abort: return fail(error_code::concurrent_transactions);
    case transaction_status::ongoing:
      // Abort the open transaction with a bumped epoch; the client retries and then gets another
      // bump (a new producer id if this one exhausted the epochs).
      fence_and_abort(*e, now, fx, std::move(done));
      return;
    case transaction_status::empty:
    case transaction_status::complete_commit:
    case transaction_status::complete_abort: break;
    default: return fail(error_code::unknown_server_error);  // never stored
  }

  transaction_metadata target = m;
  target.status = transaction_status::empty;
  target.partitions.clear();
  target.start_timestamp_ms = -1;
  target.last_update_timestamp_ms = now;
  target.timeout_ms = req.transaction_timeout_ms;
  target.last_producer_id = m.producer_id;
  const epoch_bump bump = next_epoch(m, has_producer_id, req.producer_epoch);
  if (bump.kind == epoch_bump_kind::fenced) return fail(error_code::producer_fenced);
  if (bump.kind == epoch_bump_kind::rotate_producer_id) {
    auto producer_id = _producer_ids.allocate();
    if (!producer_id) return fail(error_code::coordinator_load_in_progress);
    target.producer_id = *producer_id;
  }
  target.producer_epoch = bump.producer_epoch;
  target.last_producer_epoch = bump.last_producer_epoch;

  write_state(*e, std::move(target), fx,
              [this, done = std::move(done)](error_code ec, entry& current, effects& after) {
                if (ec == error_code::none) {
                  SPATE_LOG_DEBUG("event=producer_initialised transactional_id={} producer_id={} epoch={}", current.id,
                                  current.meta.producer_id, current.meta.producer_epoch);
                  answer(after, done,
                         init_producer_id_result{.producer_id = current.meta.producer_id,
                                                 .producer_epoch = current.meta.producer_epoch});
                  return;
                }
                // A new id whose first record failed was never there.
                if (!current.durable) _entries.erase(current.id);
                answer(after, done, init_producer_id_result{.error = ec});
              });
}

// ---- AddPartitionsToTxn / AddOffsetsToTxn ----

void transaction_coordinator::add_partitions(add_partitions_request req,
                                             std::function<void(add_partitions_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    const std::size_t n = req.partitions.size();
    auto fail = [&](error_code e) { answer(fx, std::move(done), add_result(e, n)); };
    entry* e = find(req.transactional_id);
    if (const auto err = serving_error(); err != error_code::none) {
      fail(err);
    } else if (req.transactional_id.empty()) {
      fail(error_code::invalid_request);
    } else if (!e || !e->durable || e->meta.producer_id != req.producer_id) {
      fail(error_code::invalid_producer_id_mapping);
    } else if (e->meta.producer_epoch != req.producer_epoch) {
      fail(error_code::producer_fenced);
    } else if (e->pending || is_prepare(e->meta.status)) {
      fail(error_code::concurrent_transactions);
    } else if (e->meta.status == transaction_status::ongoing &&
               std::all_of(req.partitions.begin(), req.partitions.end(),
                           [&](const topic_partition& tp) { return e->meta.partitions.contains(tp); })) {
      fail(error_code::none);  // already in the transaction: nothing to write
    } else {
      const std::int64_t now = _clock.now_ms();
      transaction_metadata target = e->meta;
      if (target.status != transaction_status::ongoing) target.start_timestamp_ms = now;
      target.status = transaction_status::ongoing;
      target.partitions.insert(req.partitions.begin(), req.partitions.end());
      target.last_update_timestamp_ms = now;
      write_state(*e, std::move(target), fx, [n, done = std::move(done)](error_code ec, entry&, effects& after) {
        answer(after, done, add_result(ec, n));
      });
    }
  }
  _runner.run(fx);
}

// ---- EndTxn ----

void transaction_coordinator::end_transaction(end_transaction_request req, std::function<void(error_code)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    auto reply = [&](error_code e) { answer(fx, std::move(done), e); };
    // Kafka's answers for a request that repeats (or contradicts) a decided outcome.
    auto decided = [&](bool same_outcome, error_code if_same) {
      reply(same_outcome ? if_same : error_code::invalid_txn_state);
    };
    entry* e = find(req.transactional_id);
    if (const auto err = serving_error(); err != error_code::none) {
      reply(err);
    } else if (req.transactional_id.empty()) {
      reply(error_code::invalid_request);
    } else if (!e || !e->durable || e->meta.producer_id != req.producer_id) {
      reply(error_code::invalid_producer_id_mapping);
    } else if (e->meta.producer_epoch != req.producer_epoch) {
      reply(error_code::producer_fenced);
    } else if (e->pending) {
      reply(error_code::concurrent_transactions);
    } else {
      switch (e->meta.status) {
        case transaction_status::ongoing: {
          const std::int64_t now = _clock.now_ms();
          transaction_metadata target = e->meta;
          target.status = req.commit ? transaction_status::prepare_commit : transaction_status::prepare_abort;
          target.last_update_timestamp_ms = now;
          write_state(*e, std::move(target), fx,
                      [this, done = std::move(done)](error_code ec, entry& current, effects& after) {
                        answer(after, done, ec);
                        if (ec == error_code::none) start_markers(current, _clock.now_ms(), after);
                      });
          break;
        }
        case transaction_status::complete_commit: decided(req.commit, error_code::none); break;
        case transaction_status::complete_abort: decided(!req.commit, error_code::none); break;
        case transaction_status::prepare_commit: decided(req.commit, error_code::concurrent_transactions); break;
        case transaction_status::prepare_abort: decided(!req.commit, error_code::concurrent_transactions); break;
        case transaction_status::empty: reply(error_code::invalid_txn_state); break;
        default: reply(error_code::unknown_server_error); break;  // never stored
      }
    }
  }
  _runner.run(fx);
}

void transaction_coordinator::fence_and_abort(entry& e, std::int64_t now, effects& fx,
                                              std::function<void(init_producer_id_result)> init_done) {
  auto& m = e.meta;
  // Kafka's prepareFenceProducerEpoch: the bumped epoch takes effect at once, so the fenced
  // producer's next request already fails; after a failed fence it is not bumped again (that
  // epoch never reached the log or a client). Clients never hold 32767, so it cannot overflow.
  if (!e.failed_epoch_fence && m.producer_epoch < std::numeric_limits<std::int16_t>::max()) ++m.producer_epoch;
  m.last_producer_epoch = no_producer_epoch;
  SPATE_LOG_INFO("event=transaction_fenced transactional_id={} producer_id={} epoch={} reason={}", e.id,
                 m.producer_id, m.producer_epoch, init_done ? "init_producer_id" : "timeout");
  transaction_metadata target = m;
  target.status = transaction_status::prepare_abort;
  target.last_update_timestamp_ms = now;
  write_state(e, std::move(target), fx,
              [this, init_done = std::move(init_done)](error_code ec, entry& current, effects& after) {
                current.failed_epoch_fence = ec != error_code::none;
                if (ec == error_code::none) start_markers(current, _clock.now_ms(), after);
                if (init_done) {
                  answer(after, init_done,
                         init_producer_id_result{.error = ec == error_code::none ? error_code::concurrent_transactions : ec});
                }
              });
}

}  // namespace spate::txn
