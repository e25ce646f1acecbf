#include "group/coordinator.h"

#include <algorithm>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "base/log.h"
#include "group/group_state.h"
#include "group/offsets_records.h"

namespace spate::group {
namespace {

// Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: how long a member that joined during a
// rebalance may take to complete its first join before it is dropped.
constexpr std::int64_t new_member_join_timeout_ms = 5 * 60 * 1000;

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

error_code store_error(storage::errc e) {
  switch (e) {
    case storage::errc::success: return error_code::none;
    case storage::errc::message_too_large: return error_code::invalid_commit_offset_size;
    // A transactional offset commit of a producer whose epoch is stale (Kafka's coordinator
    // answers a fenced producer PRODUCER_FENCED), or out of its transaction.
    case storage::errc::invalid_producer_epoch: return error_code::producer_fenced;
    case storage::errc::invalid_txn_state: return error_code::invalid_txn_state;
    default: return error_code::coordinator_not_available;
  }
}

bool same_protocols(const std::vector<join_protocol>& a, const std::vector<join_protocol>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
           return x.name == y.name && x.metadata == y.metadata;
         });
}

// Kafka's validateCurrentMember: a request naming a group.instance.id must come from the member
// id that instance currently maps to; any request must come from a current member.
error_code validate_member(const group_state& g, const std::string& member_id,
                           const std::optional<std::string>& instance_id) {
  if (instance_id) {
    const auto it = g.static_members.find(*instance_id);
    if (it == g.static_members.end()) return error_code::unknown_member_id;
    if (it->second != member_id) return error_code::fenced_instance_id;
  }
  return g.has_member(member_id) ? error_code::none : error_code::unknown_member_id;
}

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

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::size_t metadata_limit(const coordinator_config& config) {
  return std::min(static_cast<std::size_t>(config.max_metadata_bytes), max_record_string_bytes);
}

// The offsets of an OffsetCommit or TxnOffsetCommit, checked and encoded.
struct prepared_commit {
  commit_result result;  // partition errors, in request order
  std::vector<offsets_record> records;
  std::vector<std::pair<topic_partition, committed_offset>> written;  // one per record, in order
};

// Kafka's storeOffsets: a partition whose metadata is too long is refused, the others written.
// `retention_time_ms` != -1: OffsetCommit v2-v4 retention, from now whatever commit timestamp
// the request named.
prepared_commit prepare_commit(const std::string& group_id,
                               std::vector<std::pair<topic_partition, committed_offset>>& offsets, std::int64_t now,
                               std::int64_t retention_time_ms, std::size_t metadata_limit) {
  prepared_commit out;
  for (auto& [tp, offset] : offsets) {
    if (offset.metadata && offset.metadata->size() > metadata_limit) {
      out.result.partition_errors.push_back(error_code::offset_metadata_too_large);
      continue;
    }
    out.result.partition_errors.push_back(error_code::none);
    if (offset.commit_timestamp < 0) offset.commit_timestamp = now;
    if (retention_time_ms != -1) offset.expire_timestamp = now + retention_time_ms;
    offset_value value{.offset = offset.offset,
                       .leader_epoch = offset.leader_epoch,
                       .metadata = offset.metadata.value_or(""),
                       .commit_timestamp = offset.commit_timestamp,
                       .expire_timestamp = offset.expire_timestamp};
    out.records.push_back({encode_key(offset_key{group_id, tp.topic, tp.partition}), encode_value(value)});
    out.written.emplace_back(tp, std::move(offset));
  }
  return out;
}

// A failed append fails every partition that was written.
void fail_written(commit_result& result, error_code e) {
  if (e == error_code::none) return;
  for (auto& pe : result.partition_errors) {
    if (pe == error_code::none) pe = e;
  }
}

// The log offset of the i-th record of a batch whose first record is at `first_offset`.
std::int64_t record_position(std::int64_t first_offset, std::size_t i) {
  return first_offset < 0 ? -1 : first_offset + static_cast<std::int64_t>(i);
}

// Stores `offset` for `tp` unless the one there has a newer record.
void keep_newer(std::map<topic_partition, stored_offset>& offsets, const topic_partition& tp, stored_offset offset) {
  const auto [it, inserted] = offsets.try_emplace(tp, offset);
  if (!inserted && it->second.superseded_by(offset)) it->second = std::move(offset);
}

// One record for `tp` is no longer in flight.
void release_pending(group_state& g, const topic_partition& tp) {
  if (auto it = g.pending_commits.find(tp); it != g.pending_commits.end() && --it->second == 0) {
    g.pending_commits.erase(it);
  }
}

}  // namespace

// What an operation decided under the lock and must do after releasing it: answers to deliver
// and records to append (whose completions re-enter the coordinator).
struct coordinator::effects {
  struct append {
    std::int32_t partition;
    std::vector<offsets_record> records;
    // Runs under the lock once the append ended, with the log offset of its first record.
    std::function<void(error_code, std::int64_t first_offset, effects&)> then;
    std::optional<transactional_producer> producer;  // TxnOffsetCommit
  };
  std::vector<std::function<void()>> answers;
  std::vector<append> appends;
  bool new_deadline = false;
};

// The transitions of Kafka's GroupCoordinator. All functions require the coordinator's mutex.
class coordinator::machine {
 public:
  machine(coordinator& c, effects& fx, std::int64_t now) : c_(c), fx_(fx), now_(now) {}

  void join(group_state& g, join_request& req, std::function<void(join_result)>& done) {
    if (req.member_id.empty()) {
      join_unknown_member(g, req, done);
    } else {
      join_known_member(g, req, done);
    }
    check_join_complete(g);
  }

  void fail_join(std::function<void(join_result)> done, error_code e, std::string member_id) {
    answer(std::move(done), join_result{.error = e, .member_id = std::move(member_id)});
  }

  void remove_member(group_state& g, const std::string& member_id, error_code reason) {
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

  void prepare_rebalance(group_state& g) {
    if (g.is(group_phase::completing_rebalance)) reset_assignment(g, error_code::rebalance_in_progress);
    g.pending_sync.clear();
    if (g.is(group_phase::empty)) {
      // A new group waits for more members before its first generation (Kafka's InitialDelayedJoin).
      const std::int64_t delay = c_._config.initial_rebalance_delay_ms;
      g.initial_delay = true;
      g.new_member_added = false;
      g.initial_delay_remaining_ms = std::max<std::int64_t>(g.rebalance_timeout_ms() - delay, 0);
      g.rebalance_deadline = now_ + delay;
    } else {
      g.initial_delay = false;
      g.rebalance_deadline = now_ + g.rebalance_timeout_ms();
    }
    transition(g, group_phase::preparing_rebalance);
    fx_.new_deadline = true;
    // Kafka's DelayedJoin completes at once when every member has already joined (or none is
    // left, e.g. the last member left); the initial delay never completes early.
    if (!g.initial_delay) check_join_complete(g);
  }

  void check_join_complete(group_state& g) {
    if (!g.is(group_phase::preparing_rebalance)) return;
    if (g.initial_delay) {
      if (now_ < g.rebalance_deadline) return;
      if (g.new_member_added && g.initial_delay_remaining_ms > 0) {
        const std::int64_t delay =
            std::min<std::int64_t>(c_._config.initial_rebalance_delay_ms, g.initial_delay_remaining_ms);
        g.initial_delay_remaining_ms -= delay;
        g.new_member_added = false;
        g.rebalance_deadline = now_ + delay;
        fx_.new_deadline = true;
        return;
      }
      complete_join(g);
    } else if (g.all_members_joined() || now_ >= g.rebalance_deadline) {
      complete_join(g);
    }
  }

  void complete_join(group_state& g) {
    // Dynamic members that did not rejoin in time leave; static ones stay until their session
    // expires (that is what lets them restart without a rebalance).
    std::vector<std::string> gone;
    for (const auto& [id, m] : g.members) {
      if (!m.awaiting_join && !m.instance_id) gone.push_back(id);
    }
    for (const auto& id : gone) {
      auto& m = g.members.at(id);
      if (m.awaiting_sync) answer(std::exchange(m.awaiting_sync, {}), sync_result{.error = error_code::unknown_member_id});
      if (g.leader == id) g.leader.reset();
      g.members.erase(id);
    }
    if (!g.members.empty() && !elect_joined_leader(g)) {
      // Nobody rejoined: wait another rebalance timeout for session expiry to clear the group.
      g.initial_delay = false;
      g.rebalance_deadline = now_ + g.rebalance_timeout_ms();
      fx_.new_deadline = true;
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
      m.heartbeat_deadline = now_ + m.session_timeout_ms;
      if (!m.awaiting_join) continue;
      join_result result = current_generation(g, m, id == g.leader);
      answer(std::exchange(m.awaiting_join, {}), std::move(result));
    }
    g.sync_deadline = now_ + g.rebalance_timeout_ms();
    fx_.new_deadline = true;
  }

  join_result current_generation(const group_state& g, const member_state& m, bool with_members) const {
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

  void reset_assignment(group_state& g, error_code e) {
    for (auto& [id, m] : g.members) {
      m.assignment.clear();
      if (m.awaiting_sync) answer(std::exchange(m.awaiting_sync, {}), sync_result{.error = e});
    }
  }

  void propagate_assignment(group_state& g) {
    for (auto& [id, m] : g.members) {
      if (!m.awaiting_sync) continue;
      answer(std::exchange(m.awaiting_sync, {}),
             sync_result{.protocol_type = g.protocol_type, .protocol_name = g.protocol_name, .assignment = m.assignment});
      m.heartbeat_deadline = now_ + m.session_timeout_ms;
    }
  }

  void heartbeat(member_state& m) { m.heartbeat_deadline = now_ + m.session_timeout_ms; }

  void transition(group_state& g, group_phase p) {
    g.phase = p;
    g.state_timestamp = now_;
  }

  // Appends the group's metadata record with the members' current assignments (or `assignment`
  // when given), then runs `then` under the lock with the outcome.
  void store(group_state& g, std::map<std::string, base::byte_buffer> assignment,
             std::function<void(error_code, std::int64_t, effects&)> then = {}) {
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
    fx_.appends.push_back({partition_for_group(g.id, c_._log.partition_count()), std::move(records),
                           then ? std::move(then) : [](error_code, std::int64_t, effects&) {}});
  }

  template <typename Callback, typename Result>
  void answer(Callback done, Result result) {
    fx_.answers.push_back([done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
  }

  std::int64_t now() const { return now_; }

 private:
  void join_unknown_member(group_state& g, join_request& req, std::function<void(join_result)>& done) {
    const std::string new_id = fmt::format("{}-{}", req.group_instance_id ? *req.group_instance_id : req.client_id,
                                           random_uuid());
    if (req.group_instance_id) {
      if (auto it = g.static_members.find(*req.group_instance_id); it != g.static_members.end()) {
        replace_static_member(g, it->second, new_id, req, done);
      } else {
        add_member_and_rebalance(g, new_id, req, done);
      }
    } else if (req.require_known_member_id) {
      // KIP-394: hand out the id first, so a client that times out rejoins as the same member.
      g.pending_members[new_id] = now_ + req.session_timeout_ms;
      fx_.new_deadline = true;
      fail_join(std::move(done), error_code::member_id_required, new_id);
    } else {
      add_member_and_rebalance(g, new_id, req, done);
    }
  }

  void join_known_member(group_state& g, join_request& req, std::function<void(join_result)>& done) {
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

  void add_member_and_rebalance(group_state& g, const std::string& id, join_request& req,
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
    m.joined_at = now_;
    m.heartbeat_deadline = now_ + m.session_timeout_ms;
    if (g.members.empty()) g.protocol_type = req.protocol_type;
    if (m.instance_id) g.static_members[*m.instance_id] = id;
    if (!g.leader) g.leader = id;
    g.members.emplace(id, std::move(m));
    // Kafka extends the initial delay only for a group that never completed a rebalance.
    if (g.is(group_phase::preparing_rebalance) && g.generation == 0) g.new_member_added = true;
    maybe_prepare_rebalance(g);
    fx_.new_deadline = true;
  }

  void update_member_and_rebalance(group_state& g, member_state& m, join_request& req,
                                   std::function<void(join_result)>& done) {
    m.protocols = std::move(req.protocols);
    m.session_timeout_ms = req.session_timeout_ms;
    m.rebalance_timeout_ms = req.rebalance_timeout_ms;
    m.supports_skip_assignment = req.supports_skip_assignment;
    // A client only joins again when it gave up on its previous attempt; answer that one anyway.
    if (m.awaiting_join) fail_join(std::exchange(m.awaiting_join, {}), error_code::rebalance_in_progress, m.id);
    m.awaiting_join = std::move(done);
    maybe_prepare_rebalance(g);
  }

  // KIP-345: a static member restarting (new member id, same instance id) takes its old place.
  // `old_id` by value: the caller's string lives in g.static_members, which this rewrites.
  void replace_static_member(group_state& g, std::string old_id, const std::string& new_id,
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
              [&c = c_, group_id = g.id, instance_id, old_id, new_id, old_leader, before, done = std::move(done),
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
      case group_phase::preparing_rebalance:
        member.awaiting_join = std::move(done);
        return;
      case group_phase::empty:
      case group_phase::dead: fail_join(std::move(done), error_code::unknown_member_id, new_id); return;
    }
  }

  // Moves a static member to a new member id (Kafka's replaceStaticMember): a request still held
  // for the old id is answered FENCED_INSTANCE_ID.
  void rename_static_member(group_state& g, const std::string& instance_id, std::string from,
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

  void maybe_prepare_rebalance(group_state& g) {
    if (g.is(group_phase::stable) || g.is(group_phase::completing_rebalance) || g.is(group_phase::empty)) {
      prepare_rebalance(g);
    }
  }

  bool elect_joined_leader(group_state& g) {
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

  coordinator& c_;
  effects& fx_;
  const std::int64_t now_;
};

coordinator::coordinator(coordinator_config config, offsets_log& log, io::clock& clock)
    : _config(config), _log(log), _clock(clock),
      _next_offset_expiry(clock.now_ms() + config.offsets_retention_check_interval_ms) {}

coordinator::~coordinator() = default;

void coordinator::set_wakeup(std::function<void()> wakeup) {
  std::lock_guard lock(_mutex);
  _wakeup = std::move(wakeup);
}

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

void coordinator::run(effects& fx) {
  // Appends before answers: an answer may prompt the client's next request, which should find
  // the records already on their way.
  for (auto& a : fx.appends) {
    auto then = std::move(a.then);
    _log.append(a.partition, std::move(a.records), a.producer,
                [this, then = std::move(then)](storage::errc e, std::int64_t first_offset) mutable {
                  effects after;
                  {
                    std::lock_guard lock(_mutex);
                    then(store_error(e), first_offset, after);
                  }
                  run(after);
                });
  }
  for (auto& answer : fx.answers) answer();
  if (fx.new_deadline) {
    std::function<void()> wakeup;
    {
      std::lock_guard lock(_mutex);
      wakeup = _wakeup;
    }
    if (wakeup) wakeup();
  }
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
  run(fx);
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
  run(fx);
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
      it->second.heartbeat_deadline = _clock.now_ms() + it->second.session_timeout_ms;
      return error_code::rebalance_in_progress;
    case group_phase::completing_rebalance:
    case group_phase::stable:
      it->second.heartbeat_deadline = _clock.now_ms() + it->second.session_timeout_ms;
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
  run(fx);
  return result;
}

void coordinator::commit(commit_request req, std::function<void(commit_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    const std::int64_t now = _clock.now_ms();
    machine mc(*this, fx, now);
    auto fail = [&](error_code e) { mc.answer(std::move(done), commit_result{.error = e}); };
    group_state* g = find(req.group_id);
    const bool from_member = req.generation_id >= 0 || !req.member_id.empty() || req.group_instance_id;
    // Kafka accepts the empty group id here (OffsetCommit, OffsetFetch, DescribeGroups and
    // DeleteGroups do, for compatibility).
    if (req.group_id.size() > max_record_string_bytes) {
      fail(error_code::invalid_group_id);
    } else if (!g && req.generation_id >= 0) {
      // Either a commit from a generation this coordinator never saw or from before a deletion.
      fail(error_code::illegal_generation);
    } else {
      if (!g) g = &get_or_create(req.group_id);
      error_code e = error_code::none;
      if (g->is(group_phase::dead)) {
        e = error_code::coordinator_not_available;
      } else if (req.generation_id < 0 && g->is(group_phase::empty)) {
        // Kafka: without a generation (admin client, or a consumer outside group management) an
        // Empty group takes the commit, whatever member id it names.
      } else if (from_member) {
        e = validate_member(*g, req.member_id, req.group_instance_id);
        if (e == error_code::none && req.generation_id != g->generation) e = error_code::illegal_generation;
        if (e == error_code::none && g->is(group_phase::completing_rebalance)) e = error_code::rebalance_in_progress;
        if (e == error_code::none) mc.heartbeat(g->members.at(req.member_id));
      } else if (!g->is(group_phase::empty)) {
        // A simple (non-member) commit to a group that is managed by its members.
        e = error_code::unknown_member_id;
      }
      if (e != error_code::none) {
        fail(e);
      } else {
        auto prepared = prepare_commit(req.group_id, req.offsets, now, req.retention_time_ms, metadata_limit(_config));
        if (prepared.records.empty()) {
          mc.answer(std::move(done), std::move(prepared.result));
        } else {
          for (const auto& [tp, offset] : prepared.written) ++g->pending_commits[tp];
          fx.appends.push_back(
              {partition_for_group(req.group_id, _log.partition_count()), std::move(prepared.records),
               [this, group_id = req.group_id, written = std::move(prepared.written),
                result = std::move(prepared.result),
                done = std::move(done)](error_code e, std::int64_t first_offset, effects& after) mutable {
                 group_state* g = find(group_id);
                 for (std::size_t i = 0; g && i < written.size(); ++i) {
                   auto& [tp, offset] = written[i];
                   release_pending(*g, tp);
                   if (e == error_code::none) {
                     keep_newer(g->offsets, tp, {std::move(offset), record_position(first_offset, i)});
                   }
                 }
                 fail_written(result, e);
                 after.answers.push_back([done = std::move(done), result = std::move(result)]() mutable {
                   done(std::move(result));
                 });
               }});
        }
      }
    }
  }
  run(fx);
}

void coordinator::txn_commit(txn_commit_request req, std::function<void(commit_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    const std::int64_t now = _clock.now_ms();
    machine mc(*this, fx, now);
    auto fail = [&](error_code e) { mc.answer(std::move(done), commit_result{.error = e}); };
    group_state* g = find(req.group_id);
    // Kafka's validateOffsetCommit with isTransactional: members are validated only when the
    // request names one (TxnOffsetCommit v3+, KIP-447); otherwise any group state accepts it.
    const bool from_member = req.generation_id >= 0 || !req.member_id.empty() || req.group_instance_id;
    error_code e = error_code::none;
    if (req.group_id.empty() || req.group_id.size() > max_record_string_bytes) {
      e = error_code::invalid_group_id;  // unlike OffsetCommit, Kafka refuses the empty id here
    } else if (req.producer_id < 0) {
      e = error_code::invalid_request;  // a transactional batch needs a producer id
    } else if (g && g->is(group_phase::dead)) {
      e = error_code::coordinator_not_available;
    } else if (from_member && !g) {
      // Kafka creates the group, then finds no such member in it: the same answer, without an
      // empty group left behind.
      e = error_code::unknown_member_id;
    } else if (from_member) {
      e = validate_member(*g, req.member_id, req.group_instance_id);
      if (e == error_code::none && req.generation_id != g->generation) e = error_code::illegal_generation;
    }
    if (e != error_code::none) {
      fail(e);
    } else {
      if (!g) g = &get_or_create(req.group_id);
      auto prepared = prepare_commit(req.group_id, req.offsets, now, -1, metadata_limit(_config));
      if (prepared.records.empty()) {
        mc.answer(std::move(done), std::move(prepared.result));
      } else {
        for (const auto& [tp, offset] : prepared.written) ++g->pending_commits[tp];
        fx.appends.push_back(
            {partition_for_group(req.group_id, _log.partition_count()), std::move(prepared.records),
             [this, group_id = req.group_id, producer_id = req.producer_id, written = std::move(prepared.written),
              result = std::move(prepared.result),
              done = std::move(done)](error_code e, std::int64_t first_offset, effects& after) mutable {
               group_state* g = find(group_id);
               for (std::size_t i = 0; g && i < written.size(); ++i) {
                 auto& [tp, offset] = written[i];
                 release_pending(*g, tp);
                 if (e == error_code::none) {
                   keep_newer(g->txn_offsets[producer_id], tp, {std::move(offset), record_position(first_offset, i)});
                 }
               }
               if (g && e == error_code::none) note_txn_offsets(producer_id, group_id);
               fail_written(result, e);
               after.answers.push_back([done = std::move(done), result = std::move(result)]() mutable {
                 done(std::move(result));
               });
             },
             transactional_producer{req.producer_id, req.producer_epoch}});
      }
    }
  }
  run(fx);
}

void coordinator::complete_transaction(std::int64_t producer_id, bool commit, std::int32_t offsets_partition) {
  std::lock_guard lock(_mutex);
  settle_transaction(producer_id, commit, offsets_partition);
}

void coordinator::note_txn_offsets(std::int64_t producer_id, const std::string& group_id) {
  _txn_groups[producer_id].insert(group_id);
}

void coordinator::settle_transaction(std::int64_t producer_id, bool commit, std::int32_t offsets_partition) {
  const auto groups = _txn_groups.find(producer_id);
  if (groups == _txn_groups.end()) return;
  auto& ids = groups->second;
  for (auto it = ids.begin(); it != ids.end();) {
    group_state* g = find(*it);
    if (g && partition_for_group(g->id, _log.partition_count()) != offsets_partition) {
      ++it;  // the same producer's transaction in another partition: its own marker settles it
      continue;
    }
    it = ids.erase(it);
    if (!g) continue;  // deleted meanwhile, its offsets with it
    auto pending = g->txn_offsets.extract(producer_id);
    if (pending.empty() || !commit) continue;
    for (auto& [tp, offset] : pending.mapped()) keep_newer(g->offsets, tp, std::move(offset));
  }
  if (ids.empty()) _txn_groups.erase(groups);
}

offset_fetch_result coordinator::fetch_offsets(const std::string& group_id,
                                               const std::optional<std::vector<topic_partition>>& partitions,
                                               bool require_stable) const {
  std::lock_guard lock(_mutex);
  offset_fetch_result result;
  const group_state* g = find(group_id);
  auto describe = [&](const topic_partition& tp) {
    fetched_offset f{.partition = tp};
    if (!g) return f;
    // KIP-447: a consumer that requires stable offsets waits while a commit is in flight or an
    // open transaction has an offset for the partition.
    if (require_stable && (g->pending_commits.contains(tp) || g->has_txn_offset(tp))) {
      f.error = error_code::unstable_offset_commit;
      return f;
    }
    if (auto it = g->offsets.find(tp); it != g->offsets.end()) {
      f.offset = it->second.value.offset;
      f.leader_epoch = it->second.value.leader_epoch;
      f.metadata = it->second.value.metadata;
    }
    return f;
  };
  if (partitions) {
    for (const auto& tp : *partitions) result.offsets.push_back(describe(tp));
  } else if (g) {
    for (const auto& [tp, offset] : g->offsets) result.offsets.push_back(describe(tp));
  }
  return result;
}

std::vector<group_listing> coordinator::list(const std::vector<std::string>& states) const {
  std::lock_guard lock(_mutex);
  std::vector<group_listing> out;
  for (const auto& [id, g] : _groups) {
    if (g->is(group_phase::dead)) continue;
    const auto state = phase_name(g->phase);
    if (!states.empty() &&
        std::none_of(states.begin(), states.end(), [&](const std::string& s) { return iequals(s, state); })) {
      continue;
    }
    out.push_back({id, g->protocol_type.value_or(""), std::string(state)});
  }
  return out;
}

group_description coordinator::describe(const std::string& group_id) const {
  std::lock_guard lock(_mutex);
  group_description d;
  d.group_id = group_id;
  const group_state* g = find(group_id);
  if (!g) {
    d.state = "Dead";
    return d;
  }
  d.state = phase_name(g->phase);
  d.protocol_type = g->protocol_type.value_or("");
  const bool stable = g->is(group_phase::stable);
  if (stable) d.protocol_data = g->protocol_name.value_or("");
  for (const auto& [id, m] : g->members) {
    member_description md{id, m.instance_id, m.client_id, m.client_host, {}, {}};
    if (stable) {
      if (const auto* metadata = m.metadata_for(d.protocol_data)) md.metadata = *metadata;
      md.assignment = m.assignment;
    }
    d.members.push_back(std::move(md));
  }
  return d;
}

void coordinator::delete_groups(std::vector<std::string> group_ids,
                                std::function<void(std::vector<error_code>)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    struct outcome {
      std::vector<error_code> errors;
      std::size_t waiting = 0;
      std::function<void(std::vector<error_code>)> done;
    };
    auto shared = std::make_shared<outcome>();
    shared->errors.resize(group_ids.size(), error_code::none);
    shared->done = std::move(done);
    for (std::size_t i = 0; i < group_ids.size(); ++i) {
      const auto& id = group_ids[i];
      group_state* g = find(id);
      if (!g || g->is(group_phase::dead)) {
        shared->errors[i] = error_code::group_id_not_found;
      } else if (!g->is(group_phase::empty)) {
        shared->errors[i] = error_code::non_empty_group;
      } else {
        std::vector<offsets_record> records;
        for (const auto& [tp, offset] : g->offsets) {
          records.push_back({encode_key(offset_key{id, tp.topic, tp.partition}), std::nullopt});
        }
        // As Kafka's deleteAllOffsets: offsets of open transactions go too. A tombstone for each
        // partition they name (one per partition) drops them on replay whatever the marker says
        // later; live, the group and its pending offsets are gone with it.
        std::set<topic_partition> txn_only;
        for (const auto& [producer, offsets] : g->txn_offsets) {
          for (const auto& [tp, offset] : offsets) {
            if (!g->offsets.contains(tp)) txn_only.insert(tp);
          }
        }
        for (const auto& tp : txn_only) records.push_back({encode_key(offset_key{id, tp.topic, tp.partition}), std::nullopt});
        // As Kafka: a group that never completed a rebalance has no group record to delete.
        if (g->generation > 0) records.push_back({encode_key(group_key{id}), std::nullopt});
        g->phase = group_phase::dead;
        _groups.erase(id);
        ++shared->waiting;
        fx.appends.push_back({partition_for_group(id, _log.partition_count()), std::move(records),
                              [shared, i](error_code e, std::int64_t, effects& after) {
                                shared->errors[i] = e;
                                if (--shared->waiting == 0) {
                                  after.answers.push_back([shared] { shared->done(shared->errors); });
                                }
                              }});
      }
    }
    if (shared->waiting == 0) fx.answers.push_back([shared] { shared->done(shared->errors); });
  }
  run(fx);
}

void coordinator::delete_offsets(const std::string& group_id, std::vector<topic_partition> partitions,
                                 std::function<void(offset_delete_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    machine mc(*this, fx, _clock.now_ms());
    group_state* g = find(group_id);
    offset_delete_result result;
    if (group_id.empty()) {
      result.error = error_code::invalid_group_id;
    } else if (!g || g->is(group_phase::dead)) {
      result.error = error_code::group_id_not_found;
    } else {
      // Kafka: an Empty group's offsets may all go; a consumer group with members keeps those of
      // the topics its members subscribe to (all of them when a subscription cannot be read);
      // other groups with members refuse.
      const bool check_subscriptions = !g->is(group_phase::empty);
      std::optional<std::set<std::string>> subscribed;
      if (check_subscriptions) {
        if (g->protocol_type != "consumer") result.error = error_code::non_empty_group;
        subscribed = g->subscribed_topics();
      }
      if (result.error == error_code::none) {
        std::vector<offsets_record> records;
        bool any_eligible = false;
        for (const auto& tp : partitions) {
          if (check_subscriptions && (!subscribed || subscribed->contains(tp.topic))) {
            result.partition_errors.push_back(error_code::group_subscribed_to_topic);
            continue;
          }
          any_eligible = true;
          result.partition_errors.push_back(error_code::none);
          // As Kafka: a tombstone when the partition has a committed offset or one of an open
          // transaction (which the tombstone drops, live and on replay).
          const bool had_committed = g->offsets.erase(tp) > 0;
          if (g->drop_txn_offsets(tp) || had_committed) {
            records.push_back({encode_key(offset_key{group_id, tp.topic, tp.partition}), std::nullopt});
          }
        }
        // As Kafka's cleanupGroupMetadata: an Empty group left without offsets is gone.
        if (any_eligible && g->is(group_phase::empty) && !g->has_offsets()) {
          if (g->generation > 0) records.push_back({encode_key(group_key{group_id}), std::nullopt});
          _groups.erase(group_id);
        }
        if (!records.empty()) {
          fx.appends.push_back({partition_for_group(group_id, _log.partition_count()), std::move(records),
                                [result, done = std::move(done)](error_code e, std::int64_t, effects& after) mutable {
                                  if (e != error_code::none) result = offset_delete_result{.error = e};
                                  after.answers.push_back([done = std::move(done), result = std::move(result)]() mutable {
                                    done(std::move(result));
                                  });
                                }});
          done = nullptr;
        }
      }
    }
    if (done) mc.answer(std::move(done), std::move(result));
  }
  run(fx);
}

std::size_t coordinator::remove_topic_offsets(const std::string& topic) {
  effects fx;
  std::size_t removed = 0;
  {
    std::lock_guard lock(_mutex);
    for (auto& [id, g] : _groups) {
      // Offsets of open transactions on the topic go too (Kafka's onTopicsDeleted): one
      // tombstone per partition drops both, live and on replay.
      std::set<topic_partition> gone;
      for (auto it = g->offsets.begin(); it != g->offsets.end();) {
        if (it->first.topic != topic) {
          ++it;
          continue;
        }
        gone.insert(it->first);
        it = g->offsets.erase(it);
      }
      for (const auto& [producer, offsets] : g->txn_offsets) {
        for (const auto& [tp, offset] : offsets) {
          if (tp.topic == topic) gone.insert(tp);
        }
      }
      if (gone.empty()) continue;
      std::vector<offsets_record> tombstones;
      for (const auto& tp : gone) {
        g->drop_txn_offsets(tp);
        tombstones.push_back({encode_key(offset_key{id, topic, tp.partition}), std::nullopt});
      }
      removed += tombstones.size();
      fx.appends.push_back({partition_for_group(id, _log.partition_count()), std::move(tombstones),
                            [](error_code, std::int64_t, effects&) {}});
    }
  }
  run(fx);
  return removed;
}

void coordinator::expire_offsets(std::int64_t now, effects& fx) {
  std::vector<std::string> dead;
  for (auto& [id, gp] : _groups) {
    auto& g = *gp;
    std::optional<std::set<std::string>> keep_topics;
    std::function<std::int64_t(const committed_offset&)> base;
    if (g.protocol_type && g.is(group_phase::empty)) {
      // KIP-211: a group's offsets expire once it has been empty for the retention period.
      base = [&g](const committed_offset& o) { return g.state_timestamp >= 0 ? g.state_timestamp : o.commit_timestamp; };
    } else if (g.protocol_type == "consumer" && g.is(group_phase::stable)) {
      keep_topics = g.subscribed_topics();
      if (keep_topics) base = [](const committed_offset& o) { return o.commit_timestamp; };
    } else if (!g.protocol_type) {
      base = [](const committed_offset& o) { return o.commit_timestamp; };  // simple consumers
    }
    std::vector<offsets_record> tombstones;
    if (base) {
      for (auto it = g.offsets.begin(); it != g.offsets.end();) {
        const auto& tp = it->first;
        const auto& o = it->second.value;
        // Not while a commit is in flight or an open transaction has an offset for the partition
        // (Kafka: the transaction may still commit one, which must not outlive a tombstone).
        const bool expired = (!keep_topics || !keep_topics->contains(tp.topic)) && !g.pending_commits.contains(tp) &&
                             !g.has_txn_offset(tp) &&
                             (o.expire_timestamp >= 0 ? now >= o.expire_timestamp
                                                      : now - base(o) >= _config.offsets_retention_ms);
        if (!expired) {
          ++it;
          continue;
        }
        tombstones.push_back({encode_key(offset_key{id, tp.topic, tp.partition}), std::nullopt});
        it = g.offsets.erase(it);
      }
    }
    // An Empty group with offsets of open transactions stays (Kafka: "we don't want to remove the
    // group if there are ongoing transactions").
    if (g.is(group_phase::empty) && !g.has_offsets()) {
      if (g.generation > 0) tombstones.push_back({encode_key(group_key{id}), std::nullopt});
      dead.push_back(id);
    }
    if (!tombstones.empty()) {
      SPATE_LOG_INFO("event=offsets_expired group={} records={}", id, tombstones.size());
      fx.appends.push_back({partition_for_group(id, _log.partition_count()), std::move(tombstones),
                            [](error_code, std::int64_t, effects&) {}});
    }
  }
  for (const auto& id : dead) _groups.erase(id);
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
  run(fx);
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
  run(fx);
}

std::size_t coordinator::group_count() const {
  std::lock_guard lock(_mutex);
  return _groups.size();
}

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
