// Start-up: the group coordinator rebuilt from __consumer_offsets (coordinator.h, load()).
#include "group/coordinator.h"
#include "group/coordinator_internal.h"
#include "group/offsets_records.h"

namespace spate::group {

void coordinator::load(const offsets_topic::replayed& entry) {
  std::lock_guard lock(_mutex);
  if (entry.marker_commit) {
    settle_transaction(entry.producer_id, *entry.marker_commit, entry.partition);
    return;
  }
  load_record_locked(entry.key, entry.value, entry.offset, entry.transactional ? entry.producer_id : -1);
}

void coordinator::load_record(base::byte_span key, std::optional<base::byte_span> value) {
  std::lock_guard lock(_mutex);
  load_record_locked(key, value, -1, -1);
}

void coordinator::load_record_locked(base::byte_span key, std::optional<base::byte_span> value,
                                     std::int64_t record_offset, std::int64_t txn_producer) {
  const auto decoded = decode_key(key);
  if (!decoded) return;
  const std::int64_t now = _clock.now_ms();
  if (const auto* ok = std::get_if<offset_key>(&*decoded)) {
    const topic_partition tp{ok->topic, ok->partition};
    if (!value) {
      // As Kafka's replay: a tombstone also drops the partition's offsets of open transactions.
      if (group_state* g = find(ok->group)) {
        g->offsets.erase(tp);
        g->drop_txn_offsets(tp);
      }
      return;
    }
    const auto v = decode_offset_value(*value);
    if (!v) return;
    stored_offset loaded{committed_offset{.offset = v->offset,
                                          .leader_epoch = v->leader_epoch,
                                          .metadata = v->metadata,
                                          .commit_timestamp = v->commit_timestamp,
                                          .expire_timestamp = v->expire_timestamp},
                         record_offset};
    auto& g = get_or_create(ok->group);
    if (txn_producer >= 0) {
      // Pending until a marker of this producer settles it (here or, live, complete_transaction).
      g.txn_offsets[txn_producer][tp] = std::move(loaded);
      note_txn_offsets(txn_producer, ok->group);
    } else {
      g.offsets[tp] = std::move(loaded);  // log order: the later record wins
    }
    return;
  }
  const auto& gk = std::get<group_key>(*decoded);
  if (!value) {
    if (group_state* g = find(gk.group)) {
      if (g->offsets.empty() && g->txn_offsets.empty()) {
        _groups.erase(gk.group);
      } else {
        auto offsets = std::move(g->offsets);
        auto txn_offsets = std::move(g->txn_offsets);
        *g = group_state{};
        g->id = gk.group;
        g->offsets = std::move(offsets);
        g->txn_offsets = std::move(txn_offsets);
      }
    }
    return;
  }
  const auto v = decode_group_value(*value);
  if (!v) return;
  auto& g = get_or_create(gk.group);
  g.protocol_type = v->protocol_type.empty() ? std::nullopt : std::optional<std::string>(v->protocol_type);
  g.generation = v->generation;
  g.protocol_name = v->protocol;
  g.leader = v->leader;
  // Before value version 2 there is none (-1); an Empty group's offsets then expire by their
  // commit timestamps, as in Kafka.
  g.state_timestamp = v->current_state_timestamp;
  g.members.clear();
  g.static_members.clear();
  for (const auto& mv : v->members) {
    member_state m;
    m.id = mv.member_id;
    m.instance_id = mv.group_instance_id;
    m.client_id = mv.client_id;
    m.client_host = mv.client_host;
    m.session_timeout_ms = mv.session_timeout_ms;
    m.rebalance_timeout_ms = mv.rebalance_timeout_ms;
    m.protocols.push_back({v->protocol.value_or(""), mv.subscription});
    m.assignment = mv.assignment;
    // As after a coordinator failover: members keep their place if they heartbeat in time.
    m.heartbeat_deadline = now + m.session_timeout_ms;
    if (m.instance_id) g.static_members[*m.instance_id] = m.id;
    g.members.emplace(m.id, std::move(m));
  }
  g.phase = g.members.empty() ? group_phase::empty : group_phase::stable;
}

}  // namespace spate::group
