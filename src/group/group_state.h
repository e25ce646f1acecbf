#pragma once
// One consumer group's state as the coordinator keeps it (Kafka's GroupMetadata + MemberMetadata).
// Plain data plus queries; the transitions live in coordinator.cc, which holds the coordinator's
// mutex whenever it touches a group_state.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "group/coordinator.h"

namespace spate::group {

enum class group_phase { empty, preparing_rebalance, completing_rebalance, stable, dead };

// Kafka's spelling, as DescribeGroups and ListGroups report it.
std::string_view phase_name(group_phase p);

struct member_state {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = 0;
  std::vector<join_protocol> protocols;  // in the member's order of preference
  base::byte_buffer assignment;
  // A held JoinGroup / SyncGroup answer; empty when none is held.
  std::function<void(join_result)> awaiting_join;
  std::function<void(sync_result)> awaiting_sync;
  bool supports_skip_assignment = false;
  // Joined during the current rebalance and never completed one: Kafka gives such a member
  // new_member_join_timeout_ms to finish joining instead of keeping it alive indefinitely.
  bool is_new = false;
  std::int64_t joined_at = 0;
  std::int64_t heartbeat_deadline = 0;  // last sign of life + session timeout
  // When the member itself last acted (joined, synced, heartbeat, committed as a member); -1 for a
  // member loaded from __consumer_offsets that has not since. For the lag monitor.
  std::int64_t last_heartbeat_ms = -1;

  const base::byte_buffer* metadata_for(std::string_view protocol) const;
};

// A committed offset as the coordinator holds it, with the log offset of its record in
// __consumer_offsets (-1: unknown, older than any). When two commits of a partition race (a plain
// commit and a transaction's, or two plain ones completing out of order), the one whose record is
// later in the log wins, which is also what replaying the log gives (Kafka keeps recordOffset for
// the same reason).
struct stored_offset {
  committed_offset value;
  std::int64_t record_offset = -1;
  // Whether `other` may replace this one: its record is not older.
  bool superseded_by(const stored_offset& other) const { return other.record_offset >= record_offset; }
};

struct group_state {
  std::string id;
  group_phase phase = group_phase::empty;
  std::int32_t generation = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader;
  std::int64_t state_timestamp = -1;  // when the group last changed phase

  std::map<std::string, member_state> members;          // by member id
  std::map<std::string, std::string> static_members;    // group.instance.id -> member id
  std::map<std::string, std::int64_t> pending_members;  // MEMBER_ID_REQUIRED handed out -> deadline

  // PreparingRebalance: when the join phase ends even if members are missing. While
  // `initial_delay` is on, the group is new and waits group.initial.rebalance.delay.ms for more
  // members, extending the wait while they keep arriving (up to the rebalance timeout).
  std::int64_t rebalance_deadline = 0;
  bool initial_delay = false;
  bool new_member_added = false;
  std::int64_t initial_delay_remaining_ms = 0;
  // After a join phase: members that have not sent SyncGroup yet, and until when they may.
  std::set<std::string> pending_sync;
  std::int64_t sync_deadline = 0;

  std::map<topic_partition, stored_offset> offsets;  // committed: what OffsetFetch answers
  // Records appended, not yet durable: OffsetCommit and TxnOffsetCommit alike.
  std::map<topic_partition, int> pending_commits;
  // TxnOffsetCommit (Kafka's pendingTransactionalOffsetCommits): durable offsets of open
  // transactions, by producer id, invisible until the transaction's marker commits them into
  // `offsets` (or drops them on abort).
  std::map<std::int64_t, std::map<topic_partition, stored_offset>> txn_offsets;

  bool is(group_phase p) const { return phase == p; }
  bool has_member(const std::string& member_id) const { return members.contains(member_id); }
  bool all_members_joined() const;
  // An open transaction has a (durable) offset for `tp`.
  bool has_txn_offset(const topic_partition& tp) const;
  // Kafka's hasOffsets: committed, in flight or in an open transaction. A group without members
  // and without any of these may be removed.
  bool has_offsets() const { return !offsets.empty() || !pending_commits.empty() || !txn_offsets.empty(); }
  // Forgets `tp` in every open transaction (a tombstone for it was written or replayed, as
  // Kafka's replay of an offset tombstone does). Returns whether any had it.
  bool drop_txn_offsets(const topic_partition& tp);
  // Whether a member offering `protocols` of `type` may join: the group's protocol type, and at
  // least one protocol every current member supports.
  bool supports_protocols(std::string_view type, const std::vector<join_protocol>& protocols) const;
  // The protocol every member supports that most members prefer (ties: the leader's order).
  std::string select_protocol() const;
  std::int32_t rebalance_timeout_ms() const;  // the largest of the members'
  // Topics the members subscribe to, when the group speaks the consumer protocol and every
  // subscription decodes; nullopt otherwise.
  std::optional<std::set<std::string>> subscribed_topics() const;
};

}  // namespace spate::group
