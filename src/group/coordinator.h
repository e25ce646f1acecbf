#pragma once
// The group coordinator for Kafka's classic consumer-group protocol (Kafka's GroupCoordinator):
// every group's state machine, membership with session and rebalance timeouts, static
// membership, and committed offsets, written to and replayed from __consumer_offsets.
// Transactional offset commits (TxnOffsetCommit) are held per producer id until the broker reports
// the transaction's marker (complete_transaction), then committed or dropped.
//
// States (Kafka's names, which DescribeGroups and ListGroups report):
//   Empty                no members; may hold committed offsets
//   PreparingRebalance   waiting for every member to (re)join; JoinGroup responses are held
//   CompletingRebalance  joined; waiting for the leader's assignment in SyncGroup
//   Stable               assignment handed out; members heartbeat
//   Dead                 deleted (or all offsets expired while empty); removed from the map
//
// Asynchrony: JoinGroup and SyncGroup answers may be held until other members act or a timer
// fires; commits and assignments are answered once their records are durable. Every operation
// therefore takes a completion callback, called exactly once, possibly inline, possibly later
// from another thread (the caller resumes on its own executor; broker/async.h does that).
//
// Time: the coordinator never sleeps and owns no thread. It reads `now` from an io::clock and
// keeps deadlines (session expiry, rebalance timeouts, the initial rebalance delay, offset
// expiry); whoever drives it calls expire_due() at next_deadline() (io/deadline_thread.h in the
// broker, by hand in tests with a manual clock). `wakeup` is called when a new, possibly earlier,
// deadline appears.
//
// Thread-safety: every public method is thread-safe. One mutex guards all group state; it is
// never held across I/O or while a completion callback runs (appends and callbacks are collected
// under the lock and run after it is released).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/effect_runner.h"
#include "group/coordinator_config.h"
#include "group/offsets_topic.h"
#include "io/clock.h"
#include "model/topic_partition.h"
#include "protocol/error_code.h"

namespace spate::group {

using protocol::error_code;

// ---- JoinGroup ----
struct join_protocol {
  std::string name;
  base::byte_buffer metadata;
};
struct join_request {
  std::string group_id;
  std::string member_id;  // empty on a first join
  std::optional<std::string> group_instance_id;
  std::string protocol_type;
  std::vector<join_protocol> protocols;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = 0;  // v0 has none: pass the session timeout
  std::string client_id;
  std::string client_host;
  bool require_known_member_id = false;   // JoinGroup v4+: answer MEMBER_ID_REQUIRED first
  bool supports_skip_assignment = false;  // JoinGroup v9+
};
struct join_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  base::byte_buffer metadata;
};
struct join_result {
  error_code error = error_code::none;
  std::int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  bool skip_assignment = false;
  std::string member_id;
  std::vector<join_member> members;  // the leader's only
};

// ---- SyncGroup ----
struct sync_request {
  std::string group_id;
  std::int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;                            // v5+
  std::optional<std::string> protocol_name;                            // v5+
  std::vector<std::pair<std::string, base::byte_buffer>> assignments;  // the leader's only
};
struct sync_result {
  error_code error = error_code::none;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  base::byte_buffer assignment;
};

// ---- Heartbeat ----
struct heartbeat_request {
  std::string group_id;
  std::int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

// ---- LeaveGroup ----
struct leaving_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};
struct leave_result {
  error_code error = error_code::none;    // group-level
  std::vector<error_code> member_errors;  // one per leaving member, in order
};

// ---- OffsetCommit / OffsetFetch ----
using model::topic_partition;
struct committed_offset {
  std::int64_t offset = -1;
  std::int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
  std::int64_t commit_timestamp = -1;
  std::int64_t expire_timestamp = -1;  // explicit expiry (OffsetCommit v1 timestamps / v2-4 retention)
};
struct commit_request {
  std::string group_id;
  std::int32_t generation_id = -1;  // -1: a simple commit, not from a group member
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::int64_t retention_time_ms = -1;  // v2-v4
  std::vector<std::pair<topic_partition, committed_offset>> offsets;
};
struct commit_result {
  error_code error = error_code::none;       // when the whole request failed (applies to every partition)
  std::vector<error_code> partition_errors;  // one per offset, in request order (when error == none)
};
// ---- TxnOffsetCommit ----
// Offsets committed inside a transaction (KIP-98; KIP-447 adds the member fields, which
// TxnOffsetCommit v3+ carries). Answered with a commit_result like OffsetCommit.
struct txn_commit_request {
  std::string group_id;
  std::string transactional_id;  // for logs; the broker has authorized it
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t generation_id = -1;  // -1, "" and no instance id: not validated as a member
  std::string member_id;
  std::optional<std::string> group_instance_id;
  // leader_epoch, metadata and (optionally) commit_timestamp are used; expire_timestamp is not.
  std::vector<std::pair<topic_partition, committed_offset>> offsets;
};

struct fetched_offset {
  topic_partition partition;
  std::int64_t offset = -1;
  std::int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
  error_code error = error_code::none;
};
struct offset_fetch_result {
  error_code error = error_code::none;
  std::vector<fetched_offset> offsets;
};

// ---- ListGroups / DescribeGroups / DeleteGroups / OffsetDelete ----
struct group_listing {
  std::string group_id;
  std::string protocol_type;
  std::string state;
};
struct member_description {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  base::byte_buffer metadata;
  base::byte_buffer assignment;
};
struct group_description {
  error_code error = error_code::none;
  std::string group_id;
  std::string state;
  std::string protocol_type;
  std::string protocol_data;
  std::vector<member_description> members;
};
struct offset_delete_result {
  error_code error = error_code::none;
  std::vector<error_code> partition_errors;  // one per requested partition, in order
};

// ---- The lag monitor's view (coordinator_lag.cc) ----
struct lag_member {
  std::string member_id;
  std::string client_id;
  std::string client_host;
  std::int64_t last_heartbeat_ms = -1;  // when the member last acted (member_state::last_heartbeat_ms)
  base::byte_buffer assignment;         // as handed out in SyncGroup; empty during a rebalance
};
struct lag_offset {
  topic_partition partition;
  std::int64_t offset = -1;
  std::int64_t commit_timestamp = -1;
};
struct group_lag_snapshot {
  std::string group_id;
  std::string state;  // Kafka's name
  std::string protocol_type;
  std::vector<lag_member> members;
  std::vector<lag_offset> offsets;  // committed (what OffsetFetch answers), in partition order
};

struct group_state;

class coordinator {
 public:
  coordinator(coordinator_config config, offsets_log& log, io::clock& clock);
  ~coordinator();
  coordinator(const coordinator&) = delete;
  coordinator& operator=(const coordinator&) = delete;

  // Start-up: rebuilds groups and offsets from __consumer_offsets, in log order per partition.
  // Loaded groups with members are Stable and their members must heartbeat within their session
  // timeout, as after a coordinator failover in Kafka.
  //
  // load() takes everything offsets_topic::replay() visits; the broker's visitor is
  //   [&groups](const group::offsets_topic::replayed& r) { groups.load(r); }
  // A transactional record becomes a pending offset of its producer; a commit marker of that
  // producer in the same partition makes its pending offsets committed (where the committed
  // record is not newer), an abort marker drops them. Pending offsets without a marker at the
  // end of the log stay pending: the transaction coordinator finishes those transactions and the
  // broker then calls complete_transaction().
  void load(const offsets_topic::replayed& entry);
  // One non-transactional record at an unknown log position (older than any appended later).
  void load_record(base::byte_span key, std::optional<base::byte_span> value);
  // Set before serving; called (outside the lock) when a new deadline may be earlier than the
  // one last returned by next_deadline().
  void set_wakeup(std::function<void()> wakeup);

  void join(join_request request, std::function<void(join_result)> done);
  void sync(sync_request request, std::function<void(sync_result)> done);
  error_code heartbeat(const heartbeat_request& request);
  leave_result leave(const std::string& group_id, const std::vector<leaving_member>& members);
  void commit(commit_request request, std::function<void(commit_result)> done);
  // TxnOffsetCommit (Kafka's handleTxnCommitOffsets). Errors, for the whole request:
  // INVALID_GROUP_ID (empty or overlong group id), INVALID_REQUEST (producer_id < 0),
  // COORDINATOR_NOT_AVAILABLE (the group is Dead), and when the request
  // names a member (generation_id >= 0, a member id or an instance id) UNKNOWN_MEMBER_ID,
  // FENCED_INSTANCE_ID, ILLEGAL_GENERATION as for OffsetCommit (but no REBALANCE_IN_PROGRESS and
  // no heartbeat, as in Kafka). A request naming no member is accepted whatever the group's state
  // (a group that does not exist is created Empty), unlike OffsetCommit. Per partition:
  // OFFSET_METADATA_TOO_LARGE; an append failure is reported on every written partition
  // (group/append_error.h: e.g. NOT_COORDINATOR for a storage error, INVALID_COMMIT_OFFSET_SIZE,
  // PRODUCER_FENCED for a stale epoch, INVALID_TXN_STATE).
  // The records (OffsetCommit key/value, as for plain commits) are appended as ONE transactional
  // batch of the producer to the group's __consumer_offsets partition
  // (partition_for_group(group_id, partition_count)); once durable they are the producer's
  // pending offsets in the group, and `done` is called. They stay invisible to OffsetFetch
  // (which answers UNSTABLE_OFFSET_COMMIT for them under require_stable) until
  // complete_transaction().
  void txn_commit(txn_commit_request request, std::function<void(commit_result)> done);
  // The marker ending `producer_id`'s transaction is durable in __consumer_offsets partition
  // `offsets_partition`: every group placed on that partition settles that producer's pending
  // offsets, committed (each replaces the committed offset unless the committed one's record is
  // later in the log, as Kafka does) or dropped. Writes nothing (the marker is the record).
  // Call it after the TxnOffsetCommit answers of the transaction (the transaction protocol
  // guarantees it: a producer ends its transaction only after those answers); an offset whose
  // append completes after its marker stays pending until the producer's next marker.
  void complete_transaction(std::int64_t producer_id, bool commit, std::int32_t offsets_partition);
  // `partitions` nullopt: every committed offset of the group. require_stable: partitions with
  // commits not yet durable, or with offsets of open transactions, answer UNSTABLE_OFFSET_COMMIT
  // (KIP-447) instead of a possibly stale offset. Offsets of open transactions are never
  // returned; without require_stable the last committed offset is.
  offset_fetch_result fetch_offsets(const std::string& group_id,
                                    const std::optional<std::vector<topic_partition>>& partitions,
                                    bool require_stable) const;
  // `states` empty: every group. State names as Kafka spells them.
  std::vector<group_listing> list(const std::vector<std::string>& states) const;
  group_description describe(const std::string& group_id) const;
  void delete_groups(std::vector<std::string> group_ids, std::function<void(std::vector<error_code>)> done);
  // A topic was deleted: every group forgets its offsets for it, and tombstones are appended
  // (Kafka's handleDeletedPartitions), so a topic created later under the same name starts
  // without stale commits. Returns the number of offsets removed.
  std::size_t remove_topic_offsets(const std::string& topic);
  void delete_offsets(const std::string& group_id, std::vector<topic_partition> partitions,
                      std::function<void(offset_delete_result)> done);

  // Fires every deadline that has passed: session expiry, rebalance timeouts, the initial
  // rebalance delay, pending-member expiry, offset expiry. Returns the next deadline (ms since
  // the epoch), which is also what next_deadline() returns.
  std::int64_t expire_due();
  std::int64_t next_deadline() const;
  // Shutdown: answers every held JoinGroup/SyncGroup with COORDINATOR_NOT_AVAILABLE so no
  // request waits on a coordinator that is going away; later joins and syncs get the same answer
  // at once. Commits and lookups still work.
  void shutdown();

  // Every group with committed offsets (Empty ones included), copied out under the lock: the lag
  // monitor's sample. Offsets of open transactions are not included (not yet committed).
  std::vector<group_lag_snapshot> lag_snapshot() const;

  // For tests and metrics.
  std::size_t group_count() const;
  // Rebalances started (groups entering PreparingRebalance) since start-up. Lock-free.
  std::uint64_t rebalances_started() const { return _rebalances.load(std::memory_order_relaxed); }

 private:
  struct effects;
  class machine;
  using append_then = std::function<void(error_code, std::int64_t first_offset, effects&)>;
  // The I/O stage of _runner.run(), without the lock: starts the appends an operation collected.
  void start_appends(effects& fx);
  // requires _mutex: `records` go to the group's __consumer_offsets partition once the lock is
  // released; `then` runs under the lock with the outcome and the log offset of the first record.
  void append(const std::string& group_id, std::vector<offsets_record> records, effects& fx, append_then then = {},
              std::optional<transactional_producer> producer = std::nullopt);
  // requires _mutex: OffsetCommit (no producer) and TxnOffsetCommit, once the request is accepted
  // (coordinator_offsets.cc).
  void store_offsets(group_state& g, std::vector<std::pair<topic_partition, committed_offset>>& offsets,
                     std::int64_t now, std::int64_t retention_time_ms, std::optional<transactional_producer> producer,
                     std::function<void(commit_result)> done, effects& fx);
  group_state* find(const std::string& group_id) const;     // requires _mutex
  group_state& get_or_create(const std::string& group_id);  // requires _mutex
  void expire_offsets(std::int64_t now, effects& fx);       // requires _mutex
  // requires _mutex: a record at `record_offset` (-1 unknown); `txn_producer` >= 0 for a
  // transactional one.
  void load_record_locked(base::byte_span key, std::optional<base::byte_span> value, std::int64_t record_offset,
                          std::int64_t txn_producer);
  void settle_transaction(std::int64_t producer_id, bool commit, std::int32_t offsets_partition);  // requires _mutex
  void note_txn_offsets(std::int64_t producer_id, const std::string& group_id);                    // requires _mutex
  std::int64_t next_deadline_locked() const;                                                       // requires _mutex

  const coordinator_config _config;
  offsets_log& _log;
  io::clock& _clock;

  std::atomic<std::uint64_t> _rebalances{0};  // for metrics; not guarded
  mutable std::mutex _mutex;                  // guards everything below
  base::effect_runner<effects> _runner;       // runs collected effects after _mutex is released
  std::map<std::string, std::unique_ptr<group_state>, std::less<>> _groups;
  // Producer id -> groups that may hold its pending transactional offsets: a superset (entries
  // of deleted groups or settled offsets are dropped when met), so a marker visits only these.
  std::map<std::int64_t, std::set<std::string>> _txn_groups;
  std::int64_t _next_offset_expiry = 0;
  bool _shutting_down = false;
};

}  // namespace spate::group
