#include "group/membership.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "group/offsets_records.h"

namespace spate::group {
namespace {

std::string random_uuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const std::uint64_t hi = random();
  const std::uint64_t lo = random();
  // Version 4, variant 1, as java.util.UUID.randomUUID() produces.
  const std::uint64_t h = (hi & ~0xf000ULL) | 0x4000ULL;
  const std::uint64_t l = (lo & ~(0xcULL << 60)) | (0x8ULL << 60);
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", h >> 32, (h >> 16) & 0xffff, h & 0xffff, l >> 48,
                     l & 0xffffffffffffULL);
}

bool same_protocols(const std::vector<join_protocol>& a, const std::vector<join_protocol>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
           return x.name == y.name && x.metadata == y.metadata;
         });
}

}  // namespace

error_code validate_member(const group_state& g, const std::string& member_id,
                           const std::optional<std::string>& instance_id) {
  if (instance_id) {
    const auto it = g.static_members.find(*instance_id);
    if (it == g.static_members.end()) return error_code::unknown_member_id;
    if (it->second != member_id) return error_code::fenced_instance_id;
  }
  return g.has_member(member_id) ? error_code::none : error_code::unknown_member_id;
}

void coordinator::machine::join(group_state& g, join_request& req, std::function<void(join_result)>& done) {
  if (req.member_id.empty()) {
    join_unknown_member(g, req, done);
  } else {
    join_known_member(g, req, done);
  }
  check_join_complete(g);
}

void coordinator::machine::fail_join(std::function<void(join_result)> done, error_code e, std::string member_id) {
  answer(std::move(done), join_result{.error = e, .member_id = std::move(member_id)});
}

void coordinator::machine::remove_member(group_state& g, const std::string& member_id, error_code reason) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  auto& m = it->second;
  // Kafka answers a held join with UNKNOWN_MEMBER_ID and no member id, so the client joins anew.
  if (m.awaiting_join) fail_join(std::exchange(m.awaiting_join, {}), reason, "");
  if (m.awaiting_sync) answer(std::exchange(m.awaiting_sync, {}), sync_result{.error = reason});
  if (m.instance_id) g.static_members.erase(*m.instance_id);
  g.pending_sync.erase(member_id);
  g.members.erase(it);
  if (g.leader == member_id) {
    g.leader = g.members.empty() ? std::nullopt : std::optional<std::string>(g.members.begin()->first);
  }
  switch (g.phase) {
    case group_phase::stable:
    case group_phase::completing_rebalance: prepare_rebalance(g); break;
    case group_phase::preparing_rebalance: check_join_complete(g); break;
    default: break;
  }
}

void coordinator::machine::prepare_rebalance(group_state& g) {
  if (g.is(group_phase::completing_rebalance)) reset_assignment(g, error_code::rebalance_in_progress);
  g.pending_sync.clear();
  if (g.is(group_phase::empty)) {
    // A new group waits for more members before its first generation (Kafka's InitialDelayedJoin).
    const std::int64_t delay = _c._config.initial_rebalance_delay_ms;
    g.initial_delay = true;
    g.new_member_added = false;
    g.initial_delay_remaining_ms = std::max<std::int64_t>(g.rebalance_timeout_ms() - delay, 0);
    g.rebalance_deadline = _now + delay;
  } else {
    g.initial_delay = false;
    g.rebalance_deadline = _now + g.rebalance_timeout_ms();
  }
  transition(g, group_phase::preparing_rebalance);
  _c._rebalances.fetch_add(1, std::memory_order_relaxed);
  _fx.new_deadline = true;
  // Kafka's DelayedJoin completes at once when every member has already joined (or none is
  // left, e.g. the last member left); the initial delay never completes early.
  if (!g.initial_delay) check_join_complete(g);
}

void coordinator::machine::check_join_complete(group_state& g) {
  if (!g.is(group_phase::preparing_rebalance)) return;
  if (g.initial_delay) {
    if (_now < g.rebalance_deadline) return;
    if (g.new_member_added && g.initial_delay_remaining_ms > 0) {
      const std::int64_t delay =
          std::min<std::int64_t>(_c._config.initial_rebalance_delay_ms, g.initial_delay_remaining_ms);
      g.initial_delay_remaining_ms -= delay;
      g.new_member_added = false;
      g.rebalance_deadline = _now + delay;
      _fx.new_deadline = true;
      return;
    }
    complete_join(g);
  } else if (g.all_members_joined() || _now >= g.rebalance_deadline) {
    complete_join(g);
  }
}

void coordinator::machine::complete_join(group_state& g) {
  // Dynamic members that did not rejoin in time leave; static ones stay until their session
  // expires (that is what lets them restart without a rebalance).
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members) {
    if (!m.awaiting_join && !m.instance_id) gone.push_back(id);
  }
  for (const auto& id : gone) {
    auto& m = g.members.at(id);
    if (m.awaiting_sync)
      answer(std::exchange(m.awaiting_sync, {}), sync_result{.error = error_code::unknown_member_id});
    if (g.leader == id) g.leader.reset();
    g.members.erase(id);
  }
  if (!g.members.empty() && !elect_joined_leader(g)) {
    // Nobody rejoined: wait another rebalance timeout for session expiry to clear the group.
    g.initial_delay = false;
    g.rebalance_deadline = _now + g.rebalance_timeout_ms();
    _fx.new_deadline = true;
    return;
  }
  ++g.generation;
  if (g.members.empty()) {
    g.protocol_name.reset();
    g.leader.reset();
    transition(g, group_phase::empty);
    store(g, {});
    return;
  }
  g.protocol_name = g.select_protocol();
  transition(g, group_phase::completing_rebalance);
  g.pending_sync.clear();
  for (auto& [id, m] : g.members) {
    g.pending_sync.insert(id);
    // Every member's session restarts now, a static member that did not rejoin included.
    m.is_new = false;
    m.heartbeat_deadline = _now + m.session_timeout_ms;
    if (!m.awaiting_join) continue;
    join_result result = current_generation(g, m, id == g.leader);
    answer(std::exchange(m.awaiting_join, {}), std::move(result));
  }
  g.sync_deadline = _now + g.rebalance_timeout_ms();
  _fx.new_deadline = true;
}

join_result coordinator::machine::current_generation(const group_state& g, const member_state& m,
                                                     bool with_members) const {
  join_result r;
  r.generation_id = g.generation;
  r.protocol_type = g.protocol_type;
  r.protocol_name = g.protocol_name;
  r.leader = g.leader.value_or("");
  r.member_id = m.id;
  if (with_members) {
    for (const auto& [id, other] : g.members) {
      const auto* metadata = other.metadata_for(g.protocol_name.value_or(""));
      r.members.push_back({id, other.instance_id, metadata ? *metadata : base::byte_buffer{}});
    }
  }
  return r;
}

void coordinator::machine::reset_assignment(group_state& g, error_code e) {
  for (auto& [id, m] : g.members) {
    m.assignment.clear();
    if (m.awaiting_sync) answer(std::exchange(m.awaiting_sync, {}), sync_result{.error = e});
  }
}

void coordinator::machine::propagate_assignment(group_state& g) {
  for (auto& [id, m] : g.members) {
    if (!m.awaiting_sync) continue;
    answer(std::exchange(m.awaiting_sync, {}),
           sync_result{.protocol_type = g.protocol_type, .protocol_name = g.protocol_name, .assignment = m.assignment});
    m.heartbeat_deadline = _now + m.session_timeout_ms;
    // A member awaiting its assignment has no deadline, so the deadline thread may be sleeping
    // past this session: without the announcement a consumer killed now would never expire.
    _fx.new_deadline = true;
  }
}

void coordinator::machine::transition(group_state& g, group_phase p) {
  g.phase = p;
  g.state_timestamp = _now;
}

void coordinator::machine::store(group_state& g, std::map<std::string, base::byte_buffer> assignment,
                                 std::function<void(error_code, std::int64_t, effects&)> then) {
  group_value value;
  value.protocol_type = g.protocol_type.value_or("");
  value.generation = g.generation;
  value.protocol = g.protocol_name;
  value.leader = g.leader;
  value.current_state_timestamp = g.state_timestamp;
  for (const auto& [id, m] : g.members) {
    member_value mv;
    mv.member_id = id;
    mv.group_instance_id = m.instance_id;
    mv.client_id = m.client_id;
    mv.client_host = m.client_host;
    mv.rebalance_timeout_ms = m.rebalance_timeout_ms;
    mv.session_timeout_ms = m.session_timeout_ms;
    if (const auto* metadata = m.metadata_for(g.protocol_name.value_or(""))) mv.subscription = *metadata;
    const auto a = assignment.find(id);
    mv.assignment = a != assignment.end() ? a->second : m.assignment;
    value.members.push_back(std::move(mv));
  }
  std::vector<offsets_record> records;
  records.push_back({encode_key(group_key{g.id}), encode_value(value)});
  _c.append(g.id, std::move(records), _fx, std::move(then));
}

void coordinator::machine::join_unknown_member(group_state& g, join_request& req,
                                               std::function<void(join_result)>& done) {
  const std::string new_id =
      fmt::format("{}-{}", req.group_instance_id ? *req.group_instance_id : req.client_id, random_uuid());
  if (req.group_instance_id) {
    if (auto it = g.static_members.find(*req.group_instance_id); it != g.static_members.end()) {
      replace_static_member(g, it->second, new_id, req, done);
    } else {
      add_member_and_rebalance(g, new_id, req, done);
    }
  } else if (req.require_known_member_id) {
    // KIP-394: hand out the id first, so a client that times out rejoins as the same member.
    g.pending_members[new_id] = _now + req.session_timeout_ms;
    _fx.new_deadline = true;
    fail_join(std::move(done), error_code::member_id_required, new_id);
  } else {
    add_member_and_rebalance(g, new_id, req, done);
  }
}

void coordinator::machine::join_known_member(group_state& g, join_request& req,
                                             std::function<void(join_result)>& done) {
  const std::string& id = req.member_id;
  if (g.pending_members.erase(id)) {
    add_member_and_rebalance(g, id, req, done);
    return;
  }
  if (const auto e = validate_member(g, id, req.group_instance_id); e != error_code::none) {
    fail_join(std::move(done), e, id);
    return;
  }
  auto& m = g.members.at(id);
  switch (g.phase) {
    case group_phase::preparing_rebalance: update_member_and_rebalance(g, m, req, done); break;
    case group_phase::completing_rebalance:
      if (same_protocols(m.protocols, req.protocols)) {
        // A repeated join (the first answer was lost): answer it again.
        answer(std::move(done), current_generation(g, m, id == g.leader));
      } else {
        update_member_and_rebalance(g, m, req, done);
      }
      break;
    case group_phase::stable:
      if (id == g.leader || !same_protocols(m.protocols, req.protocols)) {
        update_member_and_rebalance(g, m, req, done);
      } else {
        heartbeat(m);
        answer(std::move(done), current_generation(g, m, false));
      }
      break;
    case group_phase::empty:
    case group_phase::dead: fail_join(std::move(done), error_code::unknown_member_id, id); break;
  }
}

void coordinator::machine::add_member_and_rebalance(group_state& g, const std::string& id, join_request& req,
                                                    std::function<void(join_result)>& done) {
  member_state m;
  m.id = id;
  m.instance_id = req.group_instance_id;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.protocols = std::move(req.protocols);
  m.supports_skip_assignment = req.supports_skip_assignment;
  m.awaiting_join = std::move(done);
  m.is_new = true;
  m.joined_at = _now;
  m.heartbeat_deadline = _now + m.session_timeout_ms;
  m.last_heartbeat_ms = _now;
  if (g.members.empty()) g.protocol_type = req.protocol_type;
  if (m.instance_id) g.static_members[*m.instance_id] = id;
  if (!g.leader) g.leader = id;
  g.members.emplace(id, std::move(m));
  // Kafka extends the initial delay only for a group that never completed a rebalance.
  if (g.is(group_phase::preparing_rebalance) && g.generation == 0) g.new_member_added = true;
  maybe_prepare_rebalance(g);
  _fx.new_deadline = true;
}

void coordinator::machine::update_member_and_rebalance(group_state& g, member_state& m, join_request& req,
                                                       std::function<void(join_result)>& done) {
  m.protocols = std::move(req.protocols);
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.supports_skip_assignment = req.supports_skip_assignment;
  m.last_heartbeat_ms = _now;
  // A client only joins again when it gave up on its previous attempt; answer that one anyway.
  if (m.awaiting_join) fail_join(std::exchange(m.awaiting_join, {}), error_code::rebalance_in_progress, m.id);
  m.awaiting_join = std::move(done);
  maybe_prepare_rebalance(g);
}

void coordinator::machine::replace_static_member(group_state& g, std::string old_id, const std::string& new_id,
                                                 join_request& req, std::function<void(join_result)>& done) {
  const std::string old_leader = g.leader.value_or("");
  const std::string instance_id = *req.group_instance_id;
  rename_static_member(g, instance_id, old_id, new_id);
  auto& member = g.members.at(new_id);
  member.client_id = req.client_id;
  member.client_host = req.client_host;
  heartbeat(member);
  const member_state before = member;  // what to restore if the new member id cannot be persisted
  member.protocols = std::move(req.protocols);
  member.session_timeout_ms = req.session_timeout_ms;
  member.rebalance_timeout_ms = req.rebalance_timeout_ms;
  member.supports_skip_assignment = req.supports_skip_assignment;
  switch (g.phase) {
    case group_phase::stable: {
      // Kafka rebalances only when the group's protocol would change.
      if (g.select_protocol() != g.protocol_name) {
        member.awaiting_join = std::move(done);
        prepare_rebalance(g);
        return;
      }
      // Same protocol: no rebalance. Persist the new member id, then answer with the current
      // generation. A leader that can skip the assignment (v9+) learns it leads and gets the
      // members; before v9 the answer names the leader as it was (the old member id when this
      // member led), so that a restarted leader does not run an assignment a Stable group
      // would ignore.
      const bool skip = member.supports_skip_assignment && g.leader == new_id;
      join_result result = current_generation(g, member, skip);
      result.skip_assignment = skip;
      if (!member.supports_skip_assignment) result.leader = old_leader;
      store(g, {},
            [&c = _c, group_id = g.id, instance_id, old_id, new_id, old_leader, before, done = std::move(done),
             result = std::move(result)](error_code e, std::int64_t, effects& fx) mutable {
              if (e != error_code::none) {
                // Kafka reverts the replacement: the log still names the old member id.
                // (new_id is fresh: a member by that id can only be this static member.)
                group_state* g = c.find(group_id);
                if (g && g->members.contains(new_id)) {
                  machine mc(c, fx, c._clock.now_ms());
                  mc.rename_static_member(*g, instance_id, new_id, old_id);
                  auto& m = g->members.at(old_id);
                  m.protocols = before.protocols;
                  m.session_timeout_ms = before.session_timeout_ms;
                  m.rebalance_timeout_ms = before.rebalance_timeout_ms;
                  m.supports_skip_assignment = before.supports_skip_assignment;
                  mc.heartbeat(m);
                }
                result = join_result{.error = e,
                                     .generation_id = result.generation_id,
                                     .protocol_type = result.protocol_type,
                                     .protocol_name = result.protocol_name,
                                     .leader = old_leader};
              }
              fx.answers.push_back(
                  [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
            });
      return;
    }
    case group_phase::completing_rebalance:
      // The leader may already be assigning to the old member id: start over.
      member.awaiting_join = std::move(done);
      prepare_rebalance(g);
      return;
    case group_phase::preparing_rebalance: member.awaiting_join = std::move(done); return;
    case group_phase::empty:
    case group_phase::dead: fail_join(std::move(done), error_code::unknown_member_id, new_id); return;
  }
}

void coordinator::machine::rename_static_member(group_state& g, const std::string& instance_id, std::string from,
                                                std::string to) {
  auto node = g.members.extract(from);
  auto& m = node.mapped();
  if (m.awaiting_join) fail_join(std::exchange(m.awaiting_join, {}), error_code::fenced_instance_id, from);
  if (m.awaiting_sync) answer(std::exchange(m.awaiting_sync, {}), sync_result{.error = error_code::fenced_instance_id});
  const bool was_pending_sync = g.pending_sync.erase(from) > 0;
  node.key() = to;
  m.id = to;
  g.static_members[instance_id] = to;
  if (g.leader == from) g.leader = to;
  if (was_pending_sync) g.pending_sync.insert(to);
  g.members.insert(std::move(node));
}

void coordinator::machine::maybe_prepare_rebalance(group_state& g) {
  if (g.is(group_phase::stable) || g.is(group_phase::completing_rebalance) || g.is(group_phase::empty)) {
    prepare_rebalance(g);
  }
}

bool coordinator::machine::elect_joined_leader(group_state& g) {
  if (g.leader) {
    auto it = g.members.find(*g.leader);
    if (it != g.members.end() && it->second.awaiting_join) return true;
  }
  for (const auto& [id, m] : g.members) {
    if (m.awaiting_join) {
      g.leader = id;
      return true;
    }
  }
  return false;
}

}  // namespace spate::group
