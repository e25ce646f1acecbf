#pragma once
// The membership state machine of the group coordinator (the transitions of Kafka's
// GroupCoordinator): joins, rebalances and their initial delay, the leader's assignment hand-off,
// static members replacing themselves, members leaving. Private to the coordinator's .cc files.
//
// A machine lives for one operation (or one append completion) of the coordinator: it reads the
// time once, changes group_state and collects answers and appends into the operation's effects.
// Not thread-safe on its own: every function requires the coordinator's mutex.
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "group/coordinator_internal.h"

namespace spate::group {

class coordinator::machine {
 public:
  machine(coordinator& c, effects& fx, std::int64_t now) : _c(c), _fx(fx), _now(now) {}

  void join(group_state& g, join_request& req, std::function<void(join_result)>& done);
  void fail_join(std::function<void(join_result)> done, error_code e, std::string member_id);
  void remove_member(group_state& g, const std::string& member_id, error_code reason);
  void prepare_rebalance(group_state& g);
  void check_join_complete(group_state& g);
  void complete_join(group_state& g);
  join_result current_generation(const group_state& g, const member_state& m, bool with_members) const;
  void reset_assignment(group_state& g, error_code e);
  void propagate_assignment(group_state& g);
  void heartbeat(member_state& m) {
    m.heartbeat_deadline = _now + m.session_timeout_ms;
    m.last_heartbeat_ms = _now;
  }
  void transition(group_state& g, group_phase p);

  // Appends the group's metadata record with the members' current assignments (or `assignment`
  // when given), then runs `then` under the lock with the outcome.
  void store(group_state& g, std::map<std::string, base::byte_buffer> assignment,
             std::function<void(error_code, std::int64_t, effects&)> then = {});

  template <typename Callback, typename Result>
  void answer(Callback done, Result result) {
    group::answer(_fx, std::move(done), std::move(result));
  }
  std::int64_t now() const { return _now; }

 private:
  void join_unknown_member(group_state& g, join_request& req, std::function<void(join_result)>& done);
  void join_known_member(group_state& g, join_request& req, std::function<void(join_result)>& done);
  void add_member_and_rebalance(group_state& g, const std::string& id, join_request& req,
                                std::function<void(join_result)>& done);
  void update_member_and_rebalance(group_state& g, member_state& m, join_request& req,
                                   std::function<void(join_result)>& done);

  // KIP-345: a static member restarting (new member id, same instance id) takes its old place.
  // `old_id` by value: the caller's string lives in g.static_members, which this rewrites.
  void replace_static_member(group_state& g, std::string old_id, const std::string& new_id, join_request& req,
                             std::function<void(join_result)>& done);

  // Moves a static member to a new member id (Kafka's replaceStaticMember): a request still held
  // for the old id is answered FENCED_INSTANCE_ID.
  void rename_static_member(group_state& g, const std::string& instance_id, std::string from, std::string to);
  void maybe_prepare_rebalance(group_state& g);
  bool elect_joined_leader(group_state& g);

  coordinator& _c;
  effects& _fx;
  const std::int64_t _now;
};

}  // namespace spate::group
