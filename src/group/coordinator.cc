// The group coordinator's membership requests (JoinGroup, SyncGroup, Heartbeat, LeaveGroup),
// its deadlines and shutdown. Offsets are in coordinator_offsets.cc, the admin requests in
// coordinator_admin.cc, start-up loading in coordinator_load.cc, the state machine in membership.cc.
#include "group/coordinator.h"

#include <algorithm>

#include "base/log.h"
#include "group/append_error.h"
#include "group/membership.h"
#include "group/offsets_records.h"

namespace spate::group {
namespace {

// Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: how long a member that joined during a
// rebalance may take to complete its first join before it is dropped.
constexpr std::int64_t new_member_join_timeout_ms = std::int64_t{5} * 60 * 1000;

// Kafka's acceptJoiningMember (group.max.size). In PreparingRebalance the members already
// rejoined count, so that the last members to rejoin of a group over the limit are shed. One
// deliberate difference: a static member replacing itself (same group.instance.id) adds nobody.
bool accept_joining_member(const group_state& g, const join_request& req, std::int32_t max_size) {
  const auto max = static_cast<std::size_t>(std::max(max_size, 0));
  if (req.member_id.empty() && req.group_instance_id && g.static_members.contains(*req.group_instance_id)) return true;
  switch (g.phase) {
    case group_phase::empty:
    case group_phase::dead: return true;
    case group_phase::preparing_rebalance: {
      const auto it = g.members.find(req.member_id);
      if (it != g.members.end() && it->second.awaiting_join) return true;
      const auto awaiting = std::count_if(g.members.begin(), g.members.end(),
                                          [](const auto& m) { return bool(m.second.awaiting_join); });
      return static_cast<std::size_t>(awaiting) < max;
    }
    case group_phase::completing_rebalance:
    case group_phase::stable: return g.has_member(req.member_id) || g.members.size() < max;
  }
  return false;
}

// Strings a client sends that end up in __consumer_offsets records, whose strings carry an int16
// length. Flexible request versions could carry longer ones; such a request is refused rather
// than written truncated. Member ids add a UUID to the client or instance id, hence the margin.
bool fits_in_records(const join_request& req) {
  constexpr std::size_t limit = max_record_string_bytes - 64;
  auto fits = [](std::string_view s) { return s.size() <= limit; };
  return fits(req.group_id) && fits(req.member_id) && fits(req.group_instance_id.value_or("")) &&
         fits(req.protocol_type) && fits(req.client_id) && fits(req.client_host) &&
         std::all_of(req.protocols.begin(), req.protocols.end(), [&](const join_protocol& p) { return fits(p.name); });
}

}  // namespace

coordinator::coordinator(coordinator_config config, offsets_log& log, io::clock& clock)
    : _config(config),
      _log(log),
      _clock(clock),
      _runner(_mutex, [this](effects& fx) { start_appends(fx); }),
      _next_offset_expiry(clock.now_ms() + config.offsets_retention_check_interval_ms) {}

coordinator::~coordinator() = default;

void coordinator::set_wakeup(std::function<void()> wakeup) { _runner.set_wakeup(std::move(wakeup)); }

group_state* coordinator::find(const std::string& group_id) const {
  const auto it = _groups.find(group_id);
  return it == _groups.end() ? nullptr : it->second.get();
}

group_state& coordinator::get_or_create(const std::string& group_id) {
  auto& slot = _groups[group_id];
  if (!slot) {
    slot = std::make_unique<group_state>();
    slot->id = group_id;
    slot->state_timestamp = _clock.now_ms();
  }
  return *slot;
}

void coordinator::start_appends(effects& fx) {
  for (auto& a : fx.appends) {
    _log.append(a.partition, std::move(a.records), a.producer,
                _runner.resume([then = std::move(a.then)](storage::errc e, std::int64_t first_offset, effects& after) {
                  then(append_error(e), first_offset, after);
                }));
  }
}

void coordinator::append(const std::string& group_id, std::vector<offsets_record> records, effects& fx,
                         append_then then, std::optional<transactional_producer> producer) {
  if (!then) then = [](error_code, std::int64_t, effects&) {};
  fx.appends.push_back(
      {partition_for_group(group_id, _log.partition_count()), std::move(records), std::move(then), producer});
}

void coordinator::join(join_request req, std::function<void(join_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    machine m(*this, fx, _clock.now_ms());
    if (_shutting_down) {
      m.fail_join(std::move(done), error_code::coordinator_not_available, req.member_id);
    } else if (req.group_id.empty()) {
      m.fail_join(std::move(done), error_code::invalid_group_id, req.member_id);
    } else if (!fits_in_records(req)) {
      m.fail_join(std::move(done), error_code::invalid_request, "");
    } else if (req.session_timeout_ms < _config.min_session_timeout_ms ||
               req.session_timeout_ms > _config.max_session_timeout_ms) {
      m.fail_join(std::move(done), error_code::invalid_session_timeout, req.member_id);
    } else {
      group_state* g = find(req.group_id);
      if (!g && !req.member_id.empty()) {
        m.fail_join(std::move(done), error_code::unknown_member_id, req.member_id);
      } else {
        if (!g) g = &get_or_create(req.group_id);
        if (!accept_joining_member(*g, req, _config.max_group_size)) {
          // Kafka drops the refused member (a pending one, or a member that had not rejoined yet).
          g->pending_members.erase(req.member_id);
          if (g->has_member(req.member_id)) m.remove_member(*g, req.member_id, error_code::group_max_size_reached);
          m.fail_join(std::move(done), error_code::group_max_size_reached, "");
          m.check_join_complete(*g);
        } else if (g->is(group_phase::dead)) {
          m.fail_join(std::move(done), error_code::coordinator_not_available, req.member_id);
        } else if (!g->supports_protocols(req.protocol_type, req.protocols)) {
          m.fail_join(std::move(done), error_code::inconsistent_group_protocol, req.member_id);
        } else {
          m.join(*g, req, done);
        }
      }
    }
  }
  _runner.run(fx);
}

void coordinator::sync(sync_request req, std::function<void(sync_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    machine mc(*this, fx, _clock.now_ms());
    auto fail = [&](error_code e) { mc.answer(std::move(done), sync_result{.error = e}); };
    group_state* g = find(req.group_id);
    if (_shutting_down) {
      fail(error_code::coordinator_not_available);
    } else if (req.group_id.empty()) {
      fail(error_code::invalid_group_id);
    } else if (!g) {
      fail(error_code::unknown_member_id);
    } else if (g->is(group_phase::dead)) {
      fail(error_code::coordinator_not_available);
    } else if (const auto e = validate_member(*g, req.member_id, req.group_instance_id); e != error_code::none) {
      fail(e);
    } else if (req.generation_id != g->generation) {
      fail(error_code::illegal_generation);
    } else if ((req.protocol_type && req.protocol_type != g->protocol_type) ||
               (req.protocol_name && req.protocol_name != g->protocol_name)) {
      fail(error_code::inconsistent_group_protocol);
    } else {
      auto& m = g->members.at(req.member_id);
      switch (g->phase) {
        case group_phase::empty: fail(error_code::unknown_member_id); break;
        case group_phase::preparing_rebalance: fail(error_code::rebalance_in_progress); break;
        case group_phase::completing_rebalance: {
          if (m.awaiting_sync) mc.answer(std::exchange(m.awaiting_sync, {}), sync_result{.error = error_code::rebalance_in_progress});
          m.awaiting_sync = std::move(done);
          g->pending_sync.erase(req.member_id);
          mc.heartbeat(m);
          if (req.member_id != g->leader) break;
          // The leader's assignment: persist it, then hand it out (Kafka answers SyncGroup only
          // once the group's record is durable, so a restart never forgets an assignment).
          std::map<std::string, base::byte_buffer> assignment;
          for (auto& [id, bytes] : req.assignments) {
            if (g->has_member(id)) assignment[id] = std::move(bytes);
          }
          for (const auto& [id, member] : g->members) assignment.try_emplace(id);
          const auto generation = g->generation;
          mc.store(*g, assignment,
                   [this, group_id = g->id, generation, assignment](error_code e, std::int64_t, effects& after) mutable {
                     group_state* g = find(group_id);
                     if (!g || !g->is(group_phase::completing_rebalance) || g->generation != generation) return;
                     machine mc(*this, after, _clock.now_ms());
                     if (e != error_code::none) {
                       mc.reset_assignment(*g, e);
                       mc.prepare_rebalance(*g);
                       return;
                     }
                     for (auto& [id, bytes] : assignment) {
                       if (auto it = g->members.find(id); it != g->members.end()) it->second.assignment = std::move(bytes);
                     }
                     mc.propagate_assignment(*g);
                     mc.transition(*g, group_phase::stable);
                   });
          break;
        }
        case group_phase::stable:
          g->pending_sync.erase(req.member_id);
          mc.heartbeat(m);
          mc.answer(std::move(done), sync_result{.protocol_type = g->protocol_type,
                                                 .protocol_name = g->protocol_name,
                                                 .assignment = m.assignment});
          break;
        case group_phase::dead: fail(error_code::coordinator_not_available); break;
      }
    }
  }
  _runner.run(fx);
}

error_code coordinator::heartbeat(const heartbeat_request& req) {
  std::lock_guard lock(_mutex);
  group_state* g = find(req.group_id);
  if (req.group_id.empty()) return error_code::invalid_group_id;
  if (!g) return error_code::unknown_member_id;
  if (g->is(group_phase::dead)) return error_code::coordinator_not_available;
  if (const auto e = validate_member(*g, req.member_id, req.group_instance_id); e != error_code::none) return e;
  auto it = g->members.find(req.member_id);
  if (req.generation_id != g->generation) return error_code::illegal_generation;
  switch (g->phase) {
    case group_phase::empty: return error_code::unknown_member_id;
    case group_phase::dead: return error_code::coordinator_not_available;
    case group_phase::preparing_rebalance:
      it->second.last_heartbeat_ms = _clock.now_ms();
      it->second.heartbeat_deadline = it->second.last_heartbeat_ms + it->second.session_timeout_ms;
      return error_code::rebalance_in_progress;
    case group_phase::completing_rebalance:
    case group_phase::stable:
      it->second.last_heartbeat_ms = _clock.now_ms();
      it->second.heartbeat_deadline = it->second.last_heartbeat_ms + it->second.session_timeout_ms;
      return error_code::none;
  }
  return error_code::none;
}

leave_result coordinator::leave(const std::string& group_id, const std::vector<leaving_member>& members) {
  effects fx;
  leave_result result;
  {
    std::lock_guard lock(_mutex);
    machine mc(*this, fx, _clock.now_ms());
    group_state* g = find(group_id);
    if (group_id.empty()) {
      result.error = error_code::invalid_group_id;
    } else if (!g) {
      result.member_errors.assign(members.size(), error_code::unknown_member_id);
    } else if (g->is(group_phase::dead)) {
      result.error = error_code::coordinator_not_available;
    } else {
      for (const auto& leaving : members) {
        error_code e = error_code::none;
        if (leaving.member_id.empty()) {
          // An administrative removal names only the group.instance.id.
          const auto it = leaving.group_instance_id ? g->static_members.find(*leaving.group_instance_id)
                                                    : g->static_members.end();
          if (it == g->static_members.end()) {
            e = error_code::unknown_member_id;
          } else {
            mc.remove_member(*g, std::string(it->second), error_code::unknown_member_id);
          }
        } else if (g->pending_members.erase(leaving.member_id)) {
          mc.check_join_complete(*g);
        } else {
          e = validate_member(*g, leaving.member_id, leaving.group_instance_id);
          if (e == error_code::none) mc.remove_member(*g, leaving.member_id, error_code::unknown_member_id);
        }
        result.member_errors.push_back(e);
      }
    }
  }
  _runner.run(fx);
  return result;
}

std::int64_t coordinator::expire_due() {
  effects fx;
  std::int64_t next;
  {
    std::lock_guard lock(_mutex);
    const std::int64_t now = _clock.now_ms();
    machine mc(*this, fx, now);
    for (auto& [id, gp] : _groups) {
      auto& g = *gp;
      for (auto it = g.pending_members.begin(); it != g.pending_members.end();) {
        it = now >= it->second ? g.pending_members.erase(it) : std::next(it);
      }
      std::vector<std::string> expired;
      for (const auto& [mid, m] : g.members) {
        const bool kept_alive =
            m.awaiting_sync || (m.awaiting_join && (!m.is_new || now < m.joined_at + new_member_join_timeout_ms));
        if (!kept_alive && now >= m.heartbeat_deadline) expired.push_back(mid);
        if (m.awaiting_join && m.is_new && now >= m.joined_at + new_member_join_timeout_ms) expired.push_back(mid);
      }
      for (const auto& mid : expired) {
        if (!g.has_member(mid)) continue;
        SPATE_LOG_INFO("event=member_expired group={} member={}", id, mid);
        mc.remove_member(g, mid, error_code::unknown_member_id);
      }
      mc.check_join_complete(g);
      if ((g.is(group_phase::completing_rebalance) || g.is(group_phase::stable)) && !g.pending_sync.empty() &&
          now >= g.sync_deadline) {
        // Members that joined but never synced: drop them and rebalance without them.
        const auto missing = std::exchange(g.pending_sync, {});
        for (const auto& mid : missing) {
          SPATE_LOG_INFO("event=member_never_synced group={} member={}", id, mid);
          mc.remove_member(g, mid, error_code::unknown_member_id);
        }
        if (g.is(group_phase::stable) || g.is(group_phase::completing_rebalance)) mc.prepare_rebalance(g);
      }
    }
    if (now >= _next_offset_expiry) {
      expire_offsets(now, fx);
      _next_offset_expiry = now + _config.offsets_retention_check_interval_ms;
    }
    next = next_deadline_locked();
  }
  fx.new_deadline = false;  // the caller waits for the deadline returned
  _runner.run(fx);
  return next;
}

std::int64_t coordinator::next_deadline() const {
  std::lock_guard lock(_mutex);
  return next_deadline_locked();
}

std::int64_t coordinator::next_deadline_locked() const {
  std::int64_t next = _next_offset_expiry;
  for (const auto& [id, gp] : _groups) {
    const auto& g = *gp;
    if (g.is(group_phase::preparing_rebalance)) next = std::min(next, g.rebalance_deadline);
    if (!g.pending_sync.empty()) next = std::min(next, g.sync_deadline);
    for (const auto& [mid, deadline] : g.pending_members) next = std::min(next, deadline);
    for (const auto& [mid, m] : g.members) {
      if (m.awaiting_sync) continue;
      if (m.awaiting_join) {
        if (m.is_new) next = std::min(next, m.joined_at + new_member_join_timeout_ms);
        continue;
      }
      next = std::min(next, m.heartbeat_deadline);
    }
  }
  return next;
}

void coordinator::shutdown() {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    _shutting_down = true;
    for (auto& [id, gp] : _groups) {
      for (auto& [mid, m] : gp->members) {
        if (m.awaiting_join) {
          auto done = std::exchange(m.awaiting_join, {});
          fx.answers.push_back([done = std::move(done), mid = mid] {
            done(join_result{.error = error_code::coordinator_not_available, .member_id = mid});
          });
        }
        if (m.awaiting_sync) {
          auto done = std::exchange(m.awaiting_sync, {});
          fx.answers.push_back(
              [done = std::move(done)] { done(sync_result{.error = error_code::coordinator_not_available}); });
        }
      }
    }
  }
  _runner.run(fx);
}

std::size_t coordinator::group_count() const {
  std::lock_guard lock(_mutex);
  return _groups.size();
}

}  // namespace spate::group
