#pragma once
// The transaction coordinator (Kafka's TransactionCoordinator and TransactionStateManager, for one
// broker): producer ids and epochs per transactional id, the partitions of each open transaction,
// two-phase commit through transaction markers, timeouts and expiry, written to and replayed from
// __transaction_state (txn/transaction_records.h).
//
// Life of a transaction (states in txn/transaction_state.h):
//   InitProducerId    -> Empty (epoch + 1; a new producer id when the epoch is exhausted)
//   AddPartitionsToTxn / AddOffsetsToTxn -> Ongoing
//   EndTxn            -> PrepareCommit / PrepareAbort, answered once that record is durable; then
//                        the markers are written (marker_writer), then CompleteCommit /
//                        CompleteAbort is appended
//   timeout, or InitProducerId while Ongoing -> the epoch is bumped (fencing the producer) and the
//                        transaction aborted as above (Kafka's PrepareEpochFence, never written)
//   idle for transactional.id.expiration.ms in Empty/Complete* -> tombstone, forgotten
// A state change is applied in memory only once its record is durable; until then the id has a
// pending change and other requests for it get CONCURRENT_TRANSACTIONS (Kafka's pendingState).
//
// Errors are those of the newest Kafka (PRODUCER_FENCED, not INVALID_PRODUCER_EPOCH); handlers
// map them for old request versions with txn::response_error (txn/api_errors.h). A failed append
// answers as Kafka (txn/append_error.h): COORDINATOR_NOT_AVAILABLE (partition unknown),
// NOT_COORDINATOR (storage error, log failed or closing), UNKNOWN_SERVER_ERROR (anything else). Before
// resume_after_load() every operation answers COORDINATOR_LOAD_IN_PROGRESS; after shutdown()
// COORDINATOR_NOT_AVAILABLE.
//
// Asynchrony: operations that write a record take a completion callback, called exactly once,
// possibly inline, possibly later from another thread (broker/async.h resumes the handler on its
// own executor). Time: the coordinator never sleeps and owns no thread; it reads `now` from an
// io::clock and keeps deadlines (transaction timeouts, marker retries, id expiry checks);
// whoever drives it calls expire_due() at next_deadline() (io/deadline_thread.h in the
// broker, by hand in tests). `wakeup` is called when a new, possibly earlier, deadline appears.
//
// Thread-safety: every public method is thread-safe. One mutex guards all state; it is never held
// across I/O or while a callback runs (appends, marker writes and answers are collected under the
// lock and performed after it is released). The log, marker writer, id allocator and clock must
// outlive the coordinator, and the coordinator must outlive every append and marker write it
// started (close the log and stop the marker writer first, as for group::coordinator).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/effect_runner.h"
#include "protocol/error_code.h"
#include "storage/errc.h"
#include "txn/coordinator_config.h"
#include "txn/transaction_state.h"

namespace spate::io {
class clock;
}

namespace spate::txn {

using protocol::error_code;

class marker_writer;
class producer_id_allocator;
class transaction_log;

// ---- InitProducerId ----
// Errors: INVALID_REQUEST (empty transactional id, one of producer_id/producer_epoch -1 but not
// the other, or an id longer than a version-0 record string can hold), INVALID_TRANSACTION_TIMEOUT
// (<= 0 or > transaction.max.timeout.ms), CONCURRENT_TRANSACTIONS (a change pending, a
// transaction preparing, or an ongoing one that this call aborts: retry), PRODUCER_FENCED
// (KIP-360: the given producer id/epoch is not current and not a retry of the last bump),
// COORDINATOR_LOAD_IN_PROGRESS (no producer id block ready: retry), append errors.
struct init_producer_id_request {
  std::optional<std::string> transactional_id;  // nullopt: an idempotent producer (no record)
  std::int32_t transaction_timeout_ms = 0;
  // v3+ (KIP-360): the producer's current id and epoch when it re-initialises, else -1/-1.
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
};
struct init_producer_id_result {
  error_code error = error_code::none;
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  friend bool operator==(const init_producer_id_result&, const init_producer_id_result&) = default;
};

// ---- AddPartitionsToTxn / AddOffsetsToTxn ----
// AddOffsetsToTxn is add_partitions with the one partition of __consumer_offsets that holds the
// group (the broker computes it: protocol::coordinator_partition(group_id, offsets partitions)),
// as Kafka's handler does. AddPartitionsToTxn v4+ (broker-to-broker, verify_only) is not served
// here.
// Errors (every partition gets the same one, as in Kafka): INVALID_REQUEST (empty id),
// INVALID_PRODUCER_ID_MAPPING (unknown id or another producer id), PRODUCER_FENCED (another
// epoch), CONCURRENT_TRANSACTIONS (a change pending or the transaction preparing), append
// errors. Partitions already in the ongoing transaction answer NONE at once, without a record.
struct add_partitions_request {
  std::string transactional_id;
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  std::vector<topic_partition> partitions;
};
struct add_partitions_result {
  error_code error = error_code::none;       // applies to the whole request
  std::vector<error_code> partition_errors;  // one per requested partition, in order (all `error`)
};

// ---- EndTxn ----
// Errors: INVALID_REQUEST (empty id), INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (epoch not
// the current one), CONCURRENT_TRANSACTIONS (a change pending, or the same outcome still being
// prepared: retry), INVALID_TXN_STATE (Empty, or the other outcome already decided), append
// errors. A retry in CompleteCommit (commit) or CompleteAbort (abort) answers NONE.
struct end_transaction_request {
  std::string transactional_id;
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  bool commit = false;
};

// ---- DescribeTransactions / ListTransactions ----
struct transaction_description {
  error_code error = error_code::none;  // TRANSACTIONAL_ID_NOT_FOUND, INVALID_REQUEST (empty id)
  std::string transactional_id;
  std::string state;  // Kafka's name: "Empty", "Ongoing", "PrepareCommit", ...
  std::int32_t transaction_timeout_ms = 0;
  std::int64_t transaction_start_time_ms = 0;  // -1 when no transaction was started
  std::int64_t producer_id = 0;
  std::int16_t producer_epoch = 0;
  std::map<std::string, std::vector<std::int32_t>> topics;  // partitions, ascending
};
struct transaction_listing {
  std::string transactional_id;
  std::int64_t producer_id = 0;
  std::string state;
  friend bool operator==(const transaction_listing&, const transaction_listing&) = default;
};
struct list_transactions_result {
  error_code error = error_code::none;
  std::vector<std::string> unknown_state_filters;
  std::vector<transaction_listing> transactions;  // ordered by transactional id
};

class transaction_coordinator {
 public:
  transaction_coordinator(coordinator_config config, transaction_log& log, marker_writer& markers,
                          producer_id_allocator& producer_ids, io::clock& clock);
  ~transaction_coordinator();
  transaction_coordinator(const transaction_coordinator&) = delete;
  transaction_coordinator& operator=(const transaction_coordinator&) = delete;

  // Start-up, before resume_after_load(): rebuilds the state from __transaction_state records,
  // in log order per partition (later records replace earlier ones; a tombstone removes the id).
  // Records that do not decode are skipped with a warning. Precondition (asserted): loading.
  void load_record(base::byte_span key, std::optional<base::byte_span> value);
  // Ends loading and starts serving: transactions that were PrepareCommit/PrepareAbort have
  // their markers written (again: markers are idempotent) and are then completed; Ongoing ones
  // keep their start time, so those already past their timeout are aborted by the next
  // expire_due().
  void resume_after_load();
  // Set before serving; called (outside the lock) when a new deadline may be earlier than the
  // one last returned by next_deadline().
  void set_wakeup(std::function<void()> wakeup);

  void init_producer_id(init_producer_id_request request,
                        std::function<void(init_producer_id_result)> done);
  void add_partitions(add_partitions_request request, std::function<void(add_partitions_result)> done);
  void end_transaction(end_transaction_request request, std::function<void(error_code)> done);

  // One description per id, in order.
  std::vector<transaction_description> describe(const std::vector<std::string>& transactional_ids) const;
  // Kafka's ListTransactions filters: by state names (unknown names are reported back and match
  // nothing), by producer ids, and (v1) `duration_filter_ms` >= 0 keeps transactions running for
  // longer than that (now - start > duration). Empty filters keep everything.
  list_transactions_result list(const std::vector<std::string>& state_filters,
                                const std::vector<std::int64_t>& producer_id_filters,
                                std::int64_t duration_filter_ms = -1) const;

  // Fires every deadline that has passed: aborts timed-out transactions (bumping the epoch),
  // retries failed marker writes and completion records, and looks for expired ids every
  // expired_id_check_interval_ms. Returns the next deadline (ms since the epoch), which is also
  // what next_deadline() returns.
  std::int64_t expire_due();
  std::int64_t next_deadline() const;
  // Stops serving: later operations answer COORDINATOR_NOT_AVAILABLE, and no marker write,
  // retry or expiry starts any more. Appends under way still answer their callers.
  void shutdown();

  // The __transaction_state partition of an id (FindCoordinator needs no more on one broker).
  std::int32_t partition_for(std::string_view transactional_id) const;
  // Transactions completed since start-up (the complete state written), for metrics. Lock-free.
  std::uint64_t transactions_committed() const { return _committed.load(std::memory_order_relaxed); }
  std::uint64_t transactions_aborted() const { return _aborted.load(std::memory_order_relaxed); }
  // For tests and metrics: ids known (durable or being created).
  std::size_t transaction_count() const;

 private:
  struct entry;
  struct effects;
  using then_fn = std::function<void(error_code, entry&, effects&)>;

  // The I/O stages of _runner.run(), without the lock: the appends an operation collected (before
  // its answers) and the marker writes (after them).
  void start_appends(effects& fx);
  void start_marker_writes(effects& fx);
  // Requires _mutex.
  entry* find(std::string_view transactional_id) const;
  error_code serving_error() const;
  // Appends `target` as `e`'s new state; `then` runs under the lock once the append completed,
  // after `target` was applied (success) or the pending change dropped (failure). Requires _mutex
  // (as do the functions below).
  void write_state(entry& e, transaction_metadata target, effects& fx, then_fn then);
  void fence_and_abort(entry& e, std::int64_t now, effects& fx,
                       std::function<void(init_producer_id_result)> init_done);
  void start_markers(entry& e, std::int64_t now, effects& fx);
  void advance_markers(entry& e, std::int64_t now, effects& fx);
  void on_markers_written(const std::string& id, std::int64_t producer_id, std::int16_t epoch,
                          const std::vector<topic_partition>& partitions,
                          const std::vector<storage::errc>& outcomes, effects& fx);
  void expire_ids(std::int64_t now, effects& fx);
  std::int64_t next_deadline_locked() const;
  void init_transactional(init_producer_id_request& req, std::function<void(init_producer_id_result)>& done,
                          std::int64_t now, effects& fx);

  const coordinator_config _config;
  transaction_log& _log;
  marker_writer& _markers;
  producer_id_allocator& _producer_ids;
  io::clock& _clock;

  std::atomic<std::uint64_t> _committed{0};  // for metrics; not guarded
  std::atomic<std::uint64_t> _aborted{0};
  mutable std::mutex _mutex;  // guards everything below
  base::effect_runner<effects> _runner;  // runs collected effects after _mutex is released
  std::map<std::string, std::unique_ptr<entry>, std::less<>> _entries;
  std::int64_t _next_expiry_check = 0;
  bool _loading = true;
  bool _shutting_down = false;
};

}  // namespace spate::txn
