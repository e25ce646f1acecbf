#pragma once
// The group coordinator for Kafka's classic consumer-group protocol (Kafka's GroupCoordinator):
// every group's state machine, membership with session and rebalance timeouts, static
// membership, and committed offsets, written to and replayed from __consumer_offsets.
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
// expiry); whoever drives it calls expire_due() at next_deadline() (group/timer_thread.h in the
// broker, by hand in tests with a manual clock). `wakeup` is called when a new, possibly earlier,
// deadline appears.
//
// Thread-safety: every public method is thread-safe. One mutex guards all group state; it is
// never held across I/O or while a completion callback runs (appends and callbacks are collected
// under the lock and run after it is released).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "group/coordinator_config.h"
#include "group/offsets_topic.h"
#include "io/clock.h"
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
  bool require_known_member_id = false;  // JoinGroup v4+: answer MEMBER_ID_REQUIRED first
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
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
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
  error_code error = error_code::none;         // group-level
  std::vector<error_code> member_errors;        // one per leaving member, in order
};

// ---- OffsetCommit / OffsetFetch ----
struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
};
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
  error_code error = error_code::none;  // when the whole request failed (applies to every partition)
  std::vector<error_code> partition_errors;  // one per offset, in request order (when error == none)
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

struct group_state;

class coordinator {
 public:
  coordinator(coordinator_config config, offsets_log& log, io::clock& clock);
  ~coordinator();
  coordinator(const coordinator&) = delete;
  coordinator& operator=(const coordinator&) = delete;

  // Start-up: rebuilds groups and offsets from __consumer_offsets records, in log order per
  // partition. Loaded groups with members are Stable and their members must heartbeat within
  // their session timeout, as after a coordinator failover in Kafka.
  void load_record(base::byte_span key, std::optional<base::byte_span> value);
  // Set before serving; called (outside the lock) when a new deadline may be earlier than the
  // one last returned by next_deadline().
  void set_wakeup(std::function<void()> wakeup);

  void join(join_request request, std::function<void(join_result)> done);
  void sync(sync_request request, std::function<void(sync_result)> done);
  error_code heartbeat(const heartbeat_request& request);
  leave_result leave(const std::string& group_id, const std::vector<leaving_member>& members);
  void commit(commit_request request, std::function<void(commit_result)> done);
  // `partitions` nullopt: every committed offset of the group. require_stable: partitions with
  // commits not yet durable answer UNSTABLE_OFFSET_COMMIT instead of a possibly stale offset.
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

  // For tests and metrics.
  std::size_t group_count() const;

 private:
  struct effects;
  class machine;
  // Performs the appends and delivers the answers an operation collected; without the lock.
  void run(effects& fx);
  group_state* find(const std::string& group_id) const;  // requires _mutex
  group_state& get_or_create(const std::string& group_id);  // requires _mutex
  void expire_offsets(std::int64_t now, effects& fx);  // requires _mutex
  std::int64_t next_deadline_locked() const;  // requires _mutex

  const coordinator_config _config;
  offsets_log& _log;
  io::clock& _clock;
  std::function<void()> _wakeup;

  mutable std::mutex _mutex;  // guards everything below
  std::map<std::string, std::unique_ptr<group_state>, std::less<>> _groups;
  std::int64_t _next_offset_expiry = 0;
  bool _shutting_down = false;
};

}  // namespace spate::group
