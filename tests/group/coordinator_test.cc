// The coordinator's membership state machine (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, static
// membership), driven by a manual clock and an in-memory __consumer_offsets. The expectations are
// those of Kafka's GroupCoordinator.scala. Static members restarting: coordinator_static_test.cc;
// offsets and admin APIs: coordinator_offsets_test.cc.
#include "group/coordinator.h"

#include <gtest/gtest.h>

#include "coordinator_test_support.h"

namespace spate::group::test {
namespace {

using coordinator_join = coordinator_fixture;
using coordinator_sync = coordinator_fixture;
using coordinator_heartbeat = coordinator_fixture;
using coordinator_leave = coordinator_fixture;

// ---- JoinGroup: errors ----

TEST_F(coordinator_join, an_empty_group_id_is_invalid) {
  auto r = join_req();
  r.group_id = "";
  const auto a = join(r);
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a->error, error_code::invalid_group_id);
  EXPECT_EQ(coord->group_count(), 0U);
}

TEST_F(coordinator_join, a_session_timeout_outside_the_configured_bounds_is_invalid) {
  auto low = join_req();
  low.session_timeout_ms = config.min_session_timeout_ms - 1;
  auto high = join_req();
  high.session_timeout_ms = config.max_session_timeout_ms + 1;
  EXPECT_EQ(join(low)->error, error_code::invalid_session_timeout);
  EXPECT_EQ(join(high)->error, error_code::invalid_session_timeout);
  auto at_min = join_req();
  at_min.session_timeout_ms = config.min_session_timeout_ms;
  EXPECT_FALSE(join(at_min).ready());  // accepted, held by the initial delay
}

TEST_F(coordinator_join, a_member_id_for_a_missing_group_is_unknown_and_creates_nothing) {
  const auto a = join(join_req("client-123"));
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a->error, error_code::unknown_member_id);
  EXPECT_EQ(coord->group_count(), 0U);
}

TEST_F(coordinator_join, an_unknown_member_id_in_an_existing_group_is_unknown) {
  const auto g = form_group({join_req()});
  const auto a = join(join_req("client-not-a-member"));
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a->error, error_code::unknown_member_id);
  EXPECT_EQ(state(), "Stable");
}

TEST_F(coordinator_join, member_id_required_hands_out_an_id_that_the_rejoin_uses) {
  auto first = join_req();
  first.require_known_member_id = true;
  const auto a = join(first);
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a->error, error_code::member_id_required);
  ASSERT_FALSE(a->member_id.empty());
  EXPECT_EQ(a->member_id.rfind("client-", 0), 0U) << a->member_id;

  const auto rejoin = join(join_req(a->member_id));
  EXPECT_FALSE(rejoin.ready());
  run_until_join_completes();
  ASSERT_TRUE(rejoin.ready());
  EXPECT_EQ(rejoin->error, error_code::none);
  EXPECT_EQ(rejoin->member_id, a->member_id);
  EXPECT_EQ(rejoin->leader, a->member_id);
  EXPECT_EQ(rejoin->generation_id, 1);
}

TEST_F(coordinator_join, a_handed_out_member_id_expires_after_the_session_timeout) {
  auto first = join_req();
  first.require_known_member_id = true;
  const auto a = join(first);
  ASSERT_EQ(a->error, error_code::member_id_required);
  EXPECT_EQ(coord->next_deadline(), now() + session_ms);
  advance(session_ms);
  const auto late = join(join_req(a->member_id));
  ASSERT_TRUE(late.ready());
  EXPECT_EQ(late->error, error_code::unknown_member_id);
}

TEST_F(coordinator_join, a_different_protocol_type_or_no_common_protocol_is_inconsistent) {
  const auto g = form_group({join_req()});
  auto other_type = join_req();
  other_type.protocol_type = "connect";
  EXPECT_EQ(join(other_type)->error, error_code::inconsistent_group_protocol);
  auto other_protocol = join_req();
  other_protocol.protocols = {{"roundrobin", subscription({"t"})}};
  EXPECT_EQ(join(other_protocol)->error, error_code::inconsistent_group_protocol);
  // A known member changing to an unsupported protocol is refused the same way.
  auto member_change = join_req(g.ids[0]);
  member_change.protocol_type = "connect";
  EXPECT_EQ(join(member_change)->error, error_code::inconsistent_group_protocol);
  EXPECT_EQ(state(), "Stable");

  // A new group needs a protocol type and at least one protocol.
  auto no_type = join_req("", std::nullopt, "g2");
  no_type.protocol_type = "";
  EXPECT_EQ(join(no_type)->error, error_code::inconsistent_group_protocol);
  auto no_protocols = join_req("", std::nullopt, "g3");
  no_protocols.protocols.clear();
  EXPECT_EQ(join(no_protocols)->error, error_code::inconsistent_group_protocol);
}

TEST_F(coordinator_join, a_full_group_refuses_new_members) {
  auto c = default_config();
  c.max_group_size = 2;
  restart_with(c);
  const auto a = join(join_req());
  const auto b = join(join_req());
  const auto refused = join(join_req());  // the group is rebalancing with two members joined
  ASSERT_TRUE(refused.ready());
  EXPECT_EQ(refused->error, error_code::group_max_size_reached);
  EXPECT_EQ(refused->member_id, "");
  run_until_join_completes();
  ASSERT_TRUE(a.ready() && b.ready());
  EXPECT_EQ(a->members.size() + b->members.size(), 2U);  // only the leader's answer lists them

  // CompletingRebalance: a new member is refused, a known one is not.
  EXPECT_EQ(join(join_req())->error, error_code::group_max_size_reached);
  EXPECT_EQ(heartbeat(a->member_id, 1), error_code::none);
}

TEST_F(coordinator_join, in_a_full_rebalancing_group_the_last_members_to_rejoin_are_shed) {
  // Kafka's acceptJoiningMember: while preparing a rebalance, new members are admitted as long
  // as fewer than group.max.size members have rejoined; a member rejoining after that is refused
  // and removed.
  auto c = default_config();
  c.max_group_size = 2;
  restart_with(c);
  const auto g = form_group({join_req(), join_req()});
  const std::string& follower = g.ids[1];
  const auto leader = join(join_req(g.leader));  // the leader's rejoin starts a rebalance
  ASSERT_EQ(state(), "PreparingRebalance");
  const auto newcomer = join(join_req());  // one member rejoined so far: admitted
  EXPECT_FALSE(newcomer.ready());
  EXPECT_EQ(member_ids(coord->describe("g")).size(), 3U);
  const auto late = join(join_req(follower));
  ASSERT_TRUE(late.ready());
  EXPECT_EQ(late->error, error_code::group_max_size_reached);
  ASSERT_TRUE(leader.ready() && newcomer.ready());  // everybody left has rejoined
  EXPECT_EQ(leader->generation_id, 2);
  EXPECT_EQ(leader->members.size(), 2U);
  EXPECT_EQ(heartbeat(follower, 1), error_code::unknown_member_id);
}

TEST_F(coordinator_join, a_pending_member_holds_the_rebalance_until_it_joins) {
  const auto g = form_group({join_req(), join_req()});
  const auto a = join(join_req(g.leader));
  auto fresh = join_req();
  fresh.require_known_member_id = true;
  const auto pending = join(fresh);
  ASSERT_EQ(pending->error, error_code::member_id_required);
  const auto b = join(join_req(g.ids[1]));
  EXPECT_FALSE(a.ready());  // every member rejoined, but a handed-out id may still join
  const auto c = join(join_req(pending->member_id));
  ASSERT_TRUE(a.ready() && b.ready() && c.ready());
  EXPECT_EQ(c->generation_id, 2);
  EXPECT_EQ(a->members.size(), 3U);
}

TEST_F(coordinator_join, only_a_group_that_never_rebalanced_extends_the_initial_delay) {
  const auto g = form_group({join_req()});
  coord->leave("g", {{g.ids[0], std::nullopt}});
  ASSERT_EQ(state(), "Empty");
  const auto a = join(join_req());
  advance(1000);
  const auto b = join(join_req());
  advance(config.initial_rebalance_delay_ms - 1000);
  ASSERT_TRUE(a.ready() && b.ready());  // generation 2 was reached before: no extension
  EXPECT_EQ(a->generation_id, 3);
}

TEST_F(coordinator_join, a_static_member_joining_with_another_member_id_is_fenced) {
  const auto g = form_group({join_req("", "instance-1")});
  const auto fenced = join(join_req("client-impostor", "instance-1"));
  ASSERT_TRUE(fenced.ready());
  EXPECT_EQ(fenced->error, error_code::fenced_instance_id);
  // A group.instance.id the group does not know: the member must join anew (Kafka's
  // validateCurrentMember).
  const auto unknown_instance = join(join_req(g.ids[0], "instance-2"));
  EXPECT_EQ(unknown_instance->error, error_code::unknown_member_id);
  EXPECT_EQ(state(), "Stable");
}

TEST_F(coordinator_join, shutdown_answers_held_requests_and_refuses_new_ones) {
  const auto a = join(join_req());
  const auto b = join(join_req());
  run_until_join_completes();
  const auto held_join = join(join_req("", std::nullopt, "other"));  // held by the initial delay
  const std::string follower = a->member_id == a->leader ? b->member_id : a->member_id;
  const auto held_sync = sync(follower, 1);
  ASSERT_FALSE(held_join.ready());
  ASSERT_FALSE(held_sync.ready());

  coord->shutdown();
  ASSERT_TRUE(held_join.ready());
  EXPECT_EQ(held_join->error, error_code::coordinator_not_available);
  ASSERT_TRUE(held_sync.ready());
  EXPECT_EQ(held_sync->error, error_code::coordinator_not_available);
  EXPECT_EQ(join(join_req())->error, error_code::coordinator_not_available);
  EXPECT_EQ(sync(a->leader, 1)->error, error_code::coordinator_not_available);
  // Offsets still work.
  EXPECT_EQ(commit(commit_req("simple", -1, "", {{{"t", 0}, 5}}))->partition_errors,
            std::vector<error_code>{error_code::none});
}

// ---- JoinGroup: the rebalance ----

TEST_F(coordinator_join, the_first_join_waits_for_the_initial_rebalance_delay) {
  const auto a = join(join_req());
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(coord->next_deadline(), now() + config.initial_rebalance_delay_ms);
  advance(config.initial_rebalance_delay_ms - 1);
  EXPECT_FALSE(a.ready());
  advance(1);
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a->error, error_code::none);
  EXPECT_EQ(a->generation_id, 1);
  EXPECT_EQ(a->leader, a->member_id);
  EXPECT_EQ(a->protocol_type, "consumer");
  EXPECT_EQ(a->protocol_name, "range");
  ASSERT_EQ(a->members.size(), 1U);
  EXPECT_EQ(a->members[0].member_id, a->member_id);
  EXPECT_EQ(a->members[0].metadata, subscription({"t"}));
  EXPECT_EQ(state(), "CompletingRebalance");
}

TEST_F(coordinator_join, a_member_joining_during_the_delay_extends_it_and_both_get_generation_1) {
  const auto a = join(join_req());
  advance(1000);
  auto second = join_req();
  second.protocols = {{"range", subscription({"t", "u"})}};
  const auto b = join(second);
  advance(2000);  // the delay has passed, but a member arrived: wait another delay
  EXPECT_FALSE(a.ready());
  EXPECT_FALSE(b.ready());
  advance(config.initial_rebalance_delay_ms - 1);
  EXPECT_FALSE(a.ready());
  advance(1);
  ASSERT_TRUE(a.ready());
  ASSERT_TRUE(b.ready());
  EXPECT_EQ(a->generation_id, 1);
  EXPECT_EQ(b->generation_id, 1);
  EXPECT_EQ(a->leader, a->member_id);
  EXPECT_EQ(b->leader, a->member_id);
  // Only the leader learns the members, with their metadata for the chosen protocol.
  ASSERT_EQ(a->members.size(), 2U);
  EXPECT_TRUE(b->members.empty());
  for (const auto& m : a->members) {
    EXPECT_EQ(m.metadata, m.member_id == b->member_id ? subscription({"t", "u"}) : subscription({"t"}));
  }
}

TEST_F(coordinator_join, the_initial_delay_never_extends_past_the_rebalance_timeout) {
  // Delay 3000, rebalance timeout 10000: members keep arriving, the join ends at 10000.
  auto req = [] {
    auto r = join_req();
    r.rebalance_timeout_ms = 10000;
    return r;
  };
  const std::int64_t t0 = now();
  std::vector<answer<join_result>> joins;
  joins.push_back(join(req()));
  for (const std::int64_t at : {1000, 4000, 7000, 9500}) {
    advance_to(t0 + at);
    for (const auto& j : joins) ASSERT_FALSE(j.ready()) << "at " << at;
    joins.push_back(join(req()));
  }
  advance_to(t0 + 9999);
  EXPECT_FALSE(joins[0].ready());
  advance_to(t0 + 10000);
  for (const auto& j : joins) {
    ASSERT_TRUE(j.ready());
    EXPECT_EQ(j->generation_id, 1);
    EXPECT_EQ(j->leader, joins[0]->member_id);
  }
  EXPECT_EQ(joins[0]->members.size(), 5U);
}

TEST_F(coordinator_join, the_protocol_most_members_prefer_among_common_ones_wins) {
  auto a = join_req();
  a.protocols = {{"range", bytes("a-range")}, {"roundrobin", bytes("a-rr")}};
  auto b = join_req();
  b.protocols = {{"roundrobin", bytes("b-rr")}, {"range", bytes("b-range")}};
  auto c = join_req();
  c.protocols = {{"sticky", bytes("c-sticky")}, {"roundrobin", bytes("c-rr")}, {"range", bytes("c-range")}};
  const auto ja = join(a);
  const auto jb = join(b);
  const auto jc = join(c);
  run_until_join_completes();
  ASSERT_TRUE(ja.ready());
  EXPECT_EQ(ja->protocol_name, "roundrobin");  // "sticky" is not common; 2 votes to 1
  EXPECT_EQ(jb->protocol_name, "roundrobin");
  ASSERT_EQ(ja->members.size(), 3U);
  for (const auto& m : ja->members) {
    const auto& expected = m.member_id == ja->member_id   ? bytes("a-rr")
                           : m.member_id == jb->member_id ? bytes("b-rr")
                                                          : bytes("c-rr");
    EXPECT_EQ(m.metadata, expected);
  }
}

TEST_F(coordinator_join, a_new_member_in_a_stable_group_starts_a_rebalance_that_ends_when_all_rejoined) {
  const auto g = form_group({join_req(), join_req()});
  const auto c = join(join_req());
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_FALSE(c.ready());
  EXPECT_EQ(heartbeat(g.ids[0], 1), error_code::rebalance_in_progress);
  const auto a = join(join_req(g.ids[0]));
  EXPECT_FALSE(a.ready());
  EXPECT_FALSE(c.ready());
  const auto b = join(join_req(g.ids[1]));
  ASSERT_TRUE(a.ready() && b.ready() && c.ready());
  for (const auto* j : {&a, &b, &c}) {
    EXPECT_EQ((*j)->error, error_code::none);
    EXPECT_EQ((*j)->generation_id, 2);
    EXPECT_EQ((*j)->leader, g.leader);
  }
  EXPECT_EQ(a->members.size(), 3U);
  EXPECT_EQ(state(), "CompletingRebalance");
}

TEST_F(coordinator_join, members_that_do_not_rejoin_in_time_are_dropped_unless_static) {
  const auto g = form_group({join_req(), join_req("", "instance-s")});
  const std::string& dynamic = g.ids[0];
  const std::string& fixed = g.ids[1];
  const std::int64_t t = now();
  const auto c = join(join_req());
  // Both keep their sessions alive but neither rejoins.
  for (const std::int64_t at : {9000, 18000}) {
    clock.set(t + at);
    coord->expire_due();
    EXPECT_EQ(heartbeat(dynamic, 1), error_code::rebalance_in_progress);
    EXPECT_EQ(heartbeat(fixed, 1, "instance-s"), error_code::rebalance_in_progress);
  }
  clock.set(t + rebalance_ms - 1);
  coord->expire_due();
  EXPECT_FALSE(c.ready());
  clock.set(t + rebalance_ms);
  coord->expire_due();
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->generation_id, 2);
  EXPECT_EQ(c->leader, c->member_id);  // the old leader did not rejoin
  ASSERT_EQ(c->members.size(), 2U);     // the static member is still listed for the assignment
  EXPECT_EQ(member_ids(coord->describe("g")), sorted({fixed, c->member_id}));
  EXPECT_EQ(heartbeat(dynamic, 1), error_code::unknown_member_id);
  EXPECT_EQ(heartbeat(fixed, 1, "instance-s"), error_code::illegal_generation);
  EXPECT_EQ(heartbeat(fixed, 2, "instance-s"), error_code::none);
}

TEST_F(coordinator_join, a_static_member_that_did_not_rejoin_starts_a_new_session_with_the_generation) {
  const auto g = form_group({join_req(), join_req("", "instance-s")});
  const std::string& fixed = g.ids[1];
  const std::int64_t t = now();
  const auto c = join(join_req());
  const auto a = join(join_req(g.ids[0]));
  for (const std::int64_t at : {session_ms - 1000, rebalance_ms - 2000}) {  // alive, not rejoining
    advance_to(t + at);
    EXPECT_EQ(heartbeat(fixed, 1, "instance-s"), error_code::rebalance_in_progress);
  }
  advance_to(t + rebalance_ms);  // the join phase times out; the static member stays
  ASSERT_TRUE(c.ready());
  // Its session restarts now (Kafka schedules every member's heartbeat at the new generation).
  advance_to(t + rebalance_ms + session_ms - 1);
  EXPECT_EQ(member_ids(coord->describe("g")).size(), 3U);
  EXPECT_EQ(heartbeat(c->member_id, 2), error_code::none);
  EXPECT_EQ(heartbeat(a->member_id, 2), error_code::none);
  advance_to(t + rebalance_ms + session_ms);
  EXPECT_EQ(member_ids(coord->describe("g")).size(), 2U);
  EXPECT_EQ(heartbeat(fixed, 2, "instance-s"), error_code::unknown_member_id);
}

TEST_F(coordinator_join, a_stable_follower_rejoining_unchanged_gets_the_current_generation) {
  const auto g = form_group({join_req(), join_req()});
  const std::string follower = g.ids[0] == g.leader ? g.ids[1] : g.ids[0];
  const auto again = join(join_req(follower));
  ASSERT_TRUE(again.ready());
  EXPECT_EQ(again->generation_id, 1);
  EXPECT_EQ(again->leader, g.leader);
  EXPECT_TRUE(again->members.empty());
  EXPECT_EQ(state(), "Stable");
}

TEST_F(coordinator_join, a_stable_leader_rejoining_starts_a_rebalance) {
  const auto g = form_group({join_req(), join_req()});
  const auto leader = join(join_req(g.leader));
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_FALSE(leader.ready());
}

TEST_F(coordinator_join, a_repeated_join_while_completing_gets_the_same_answer) {
  const auto a = join(join_req());
  run_until_join_completes();
  ASSERT_TRUE(a.ready());
  const auto again = join(join_req(a->member_id));
  ASSERT_TRUE(again.ready());
  EXPECT_EQ(again->generation_id, 1);
  EXPECT_EQ(again->members.size(), 1U);
  EXPECT_EQ(state(), "CompletingRebalance");
}

// ---- SyncGroup ----

TEST_F(coordinator_sync, requests_from_outside_the_generation_are_refused) {
  const auto g = form_group({join_req(), join_req("", "instance-s")});
  EXPECT_EQ(sync("m", 1, {}, std::nullopt, "missing")->error, error_code::unknown_member_id);
  EXPECT_EQ(sync("m", 1, {}, std::nullopt, "")->error, error_code::invalid_group_id);
  EXPECT_EQ(sync("client-nobody", 1)->error, error_code::unknown_member_id);
  EXPECT_EQ(sync(g.ids[0], 2)->error, error_code::illegal_generation);
  EXPECT_EQ(sync(g.ids[0], 0)->error, error_code::illegal_generation);
  EXPECT_EQ(sync("client-impostor", 1, {}, "instance-s")->error, error_code::fenced_instance_id);
}

TEST_F(coordinator_sync, a_v5_protocol_type_or_name_mismatch_is_inconsistent) {
  const auto g = form_group({join_req()});
  auto with = [&](std::optional<std::string> type, std::optional<std::string> name) {
    sync_request r;
    r.group_id = "g";
    r.generation_id = 1;
    r.member_id = g.ids[0];
    r.protocol_type = std::move(type);
    r.protocol_name = std::move(name);
    answer<sync_result> a;
    coord->sync(std::move(r), a.callback());
    return a.get().error;
  };
  EXPECT_EQ(with("connect", std::nullopt), error_code::inconsistent_group_protocol);
  EXPECT_EQ(with(std::nullopt, "roundrobin"), error_code::inconsistent_group_protocol);
  EXPECT_EQ(with("consumer", "range"), error_code::none);
}

TEST_F(coordinator_sync, a_sync_while_preparing_a_rebalance_must_rejoin) {
  const auto g = form_group({join_req()});
  const auto b = join(join_req());
  ASSERT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(sync(g.ids[0], 1)->error, error_code::rebalance_in_progress);
}

TEST_F(coordinator_sync, the_assignment_is_handed_out_once_the_group_record_is_durable) {
  const auto a = join(join_req());
  const auto b = join(join_req());
  run_until_join_completes();
  const std::string leader = a->leader;
  const std::string follower = a->member_id == leader ? b->member_id : a->member_id;
  log.set_mode(fake_offsets_log::mode::hold);

  const auto follower_sync = sync(follower, 1);  // before the leader: waits
  EXPECT_FALSE(follower_sync.ready());
  const auto leader_sync = sync(leader, 1, {{leader, bytes("to-leader")}, {follower, bytes("to-follower")}});
  EXPECT_FALSE(leader_sync.ready());
  EXPECT_FALSE(follower_sync.ready());
  ASSERT_EQ(log.held(), 1U);
  EXPECT_EQ(state(), "CompletingRebalance");
  EXPECT_EQ(heartbeat(follower, 1), error_code::none);

  // The held record carries the assignment.
  const auto pending = log.last_batch();
  ASSERT_EQ(pending.records.size(), 1U);
  ASSERT_TRUE(is_group_record(pending.records[0], "g"));
  const auto value = decode_group_value(*pending.records[0].value);
  ASSERT_TRUE(value);
  EXPECT_EQ(value->generation, 1);
  EXPECT_EQ(value->protocol, "range");
  EXPECT_EQ(value->leader, leader);
  ASSERT_EQ(value->members.size(), 2U);
  for (const auto& m : value->members) {
    EXPECT_EQ(m.assignment, m.member_id == leader ? bytes("to-leader") : bytes("to-follower"));
    EXPECT_EQ(m.subscription, subscription({"t"}));
  }

  log.release_one();
  ASSERT_TRUE(leader_sync.ready());
  ASSERT_TRUE(follower_sync.ready());
  EXPECT_EQ(leader_sync->error, error_code::none);
  EXPECT_EQ(leader_sync->assignment, bytes("to-leader"));
  EXPECT_EQ(follower_sync->assignment, bytes("to-follower"));
  EXPECT_EQ(follower_sync->protocol_type, "consumer");
  EXPECT_EQ(follower_sync->protocol_name, "range");
  EXPECT_EQ(state(), "Stable");
}

TEST_F(coordinator_sync, a_member_the_leader_left_out_gets_an_empty_assignment) {
  const auto a = join(join_req());
  const auto b = join(join_req());
  run_until_join_completes();
  const std::string follower = a->member_id == a->leader ? b->member_id : a->member_id;
  const auto f = sync(follower, 1);
  const auto l = sync(a->leader, 1, {{a->leader, bytes("all")}, {"client-gone", bytes("x")}});
  ASSERT_TRUE(f.ready());
  EXPECT_EQ(f->error, error_code::none);
  EXPECT_TRUE(f->assignment.empty());
  EXPECT_EQ(l->assignment, bytes("all"));
}

TEST_F(coordinator_sync, a_failed_group_record_fails_the_syncs_and_the_group_rebalances) {
  const auto a = join(join_req());
  const auto b = join(join_req());
  run_until_join_completes();
  const std::string leader = a->leader;
  const std::string follower = a->member_id == leader ? b->member_id : a->member_id;
  log.set_mode(fake_offsets_log::mode::hold);
  const auto f = sync(follower, 1);
  const auto l = sync(leader, 1, {{leader, bytes("x")}, {follower, bytes("y")}});
  log.release_one(errc::io_error);
  ASSERT_TRUE(f.ready() && l.ready());
  EXPECT_EQ(l->error, error_code::not_coordinator);
  EXPECT_EQ(f->error, error_code::not_coordinator);
  EXPECT_TRUE(f->assignment.empty());
  EXPECT_EQ(state(), "PreparingRebalance");

  log.set_mode(fake_offsets_log::mode::durable);
  EXPECT_EQ(heartbeat(follower, 1), error_code::rebalance_in_progress);
  const auto ra = join(join_req(leader));
  const auto rb = join(join_req(follower));
  ASSERT_TRUE(ra.ready() && rb.ready());
  EXPECT_EQ(ra->generation_id, 2);
}

TEST_F(coordinator_sync, a_stable_group_answers_with_the_stored_assignment) {
  const auto g = form_group({join_req(), join_req()});
  for (const auto& id : g.ids) {
    const auto s = sync(id, 1);
    ASSERT_TRUE(s.ready());
    EXPECT_EQ(s->error, error_code::none);
    EXPECT_EQ(s->assignment, bytes("assignment-" + id));
  }
}

TEST_F(coordinator_sync, members_that_never_sync_are_dropped_after_the_rebalance_timeout) {
  const auto a = join(join_req());
  const auto b = join(join_req());
  run_until_join_completes();
  const std::string follower = a->member_id == a->leader ? b->member_id : a->member_id;
  const auto l = sync(a->leader, 1, {});
  ASSERT_TRUE(l.ready());
  ASSERT_EQ(state(), "Stable");
  // The follower keeps heartbeating but never syncs.
  for (int i = 0; i < 2; ++i) {
    advance(rebalance_ms / 2 - 1);
    EXPECT_EQ(heartbeat(follower, 1), error_code::none);
    EXPECT_EQ(heartbeat(a->leader, 1), error_code::none);
  }
  advance(2);
  EXPECT_EQ(heartbeat(follower, 1), error_code::unknown_member_id);
  EXPECT_EQ(state(), "PreparingRebalance");
}

// ---- Heartbeat ----

TEST_F(coordinator_heartbeat, answers_follow_the_group_state) {
  EXPECT_EQ(heartbeat("m", 1, std::nullopt, "missing"), error_code::unknown_member_id);
  EXPECT_EQ(heartbeat("m", 1, std::nullopt, ""), error_code::invalid_group_id);
  const auto a = join(join_req("", "instance-a"));
  const auto b = join(join_req());
  run_until_join_completes();
  EXPECT_EQ(heartbeat(b->member_id, 1), error_code::none);  // CompletingRebalance
  EXPECT_EQ(heartbeat(a->member_id, 1, "instance-a"), error_code::none);
  const auto f = sync(b->member_id, 1);
  const auto l = sync(a->member_id, 1, {}, "instance-a");
  ASSERT_EQ(state(), "Stable");
  EXPECT_EQ(heartbeat(b->member_id, 1), error_code::none);
  EXPECT_EQ(heartbeat(b->member_id, 0), error_code::illegal_generation);
  EXPECT_EQ(heartbeat(b->member_id, 2), error_code::illegal_generation);
  EXPECT_EQ(heartbeat("client-nobody", 1), error_code::unknown_member_id);
  EXPECT_EQ(heartbeat("client-impostor", 1, "instance-a"), error_code::fenced_instance_id);
  EXPECT_EQ(heartbeat(b->member_id, 1, "instance-unknown"), error_code::unknown_member_id);
  const auto c = join(join_req());
  EXPECT_EQ(heartbeat(b->member_id, 1), error_code::rebalance_in_progress);
  EXPECT_EQ(heartbeat(a->member_id, 1, "instance-a"), error_code::rebalance_in_progress);
}

TEST_F(coordinator_heartbeat, a_silent_member_is_removed_after_its_session_timeout_and_the_rest_rebalance) {
  const auto g = form_group({join_req(), join_req()});
  const std::string& silent = g.ids[0];  // the leader
  const std::string& alive = g.ids[1];
  advance(session_ms - 1000);
  EXPECT_EQ(heartbeat(alive, 1), error_code::none);
  advance(999);  // session_ms - 1 since the silent member's last sign of life
  EXPECT_EQ(member_ids(coord->describe("g")).size(), 2U);
  EXPECT_EQ(state(), "Stable");
  advance(1);
  EXPECT_EQ(member_ids(coord->describe("g")), std::vector<std::string>{alive});
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(heartbeat(silent, 1), error_code::unknown_member_id);
  EXPECT_EQ(heartbeat(alive, 1), error_code::rebalance_in_progress);
  const auto rejoin = join(join_req(alive));
  ASSERT_TRUE(rejoin.ready());  // every remaining member has rejoined
  EXPECT_EQ(rejoin->generation_id, 2);
  EXPECT_EQ(rejoin->leader, alive);
}

TEST_F(coordinator_heartbeat, a_member_awaiting_a_held_join_is_not_expired) {
  const auto g = form_group({join_req(), join_req()});
  auto slow = join_req();
  slow.rebalance_timeout_ms = 60000;  // the rebalance may outlast several sessions
  const auto c = join(slow);
  const auto a = join(join_req(g.ids[0]));  // held while b has not rejoined
  for (int i = 0; i < 3; ++i) {
    advance(session_ms - 1);
    EXPECT_EQ(heartbeat(g.ids[1], 1), error_code::rebalance_in_progress);
  }
  EXPECT_FALSE(a.ready());
  EXPECT_EQ(member_ids(coord->describe("g")).size(), 3U);
  const auto b = join(join_req(g.ids[1]));
  ASSERT_TRUE(a.ready() && b.ready() && c.ready());
  EXPECT_EQ(a->error, error_code::none);
  EXPECT_EQ(a->generation_id, 2);
}

TEST_F(coordinator_heartbeat, a_new_member_whose_join_stays_held_too_long_is_dropped) {
  const auto g = form_group({join_req()});
  auto slow = join_req();
  slow.rebalance_timeout_ms = 600000;  // the rebalance may last 10 minutes
  const auto c = join(slow);
  // The old member never rejoins but heartbeats; after 5 minutes the new member's join is
  // answered UNKNOWN_MEMBER_ID (Kafka's NewMemberJoinTimeoutMs) and the member removed.
  for (std::int64_t t = 0; t < 300000; t += session_ms / 2) {
    advance(session_ms / 2);
    if (c.ready()) break;
    EXPECT_EQ(heartbeat(g.ids[0], 1), error_code::rebalance_in_progress);
  }
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::unknown_member_id);
  EXPECT_EQ(c->member_id, "");
  EXPECT_EQ(member_ids(coord->describe("g")), std::vector<std::string>{g.ids[0]});
}

// ---- LeaveGroup ----

TEST_F(coordinator_leave, a_leaving_member_starts_a_rebalance) {
  const auto g = form_group({join_req(), join_req()});
  const auto r = coord->leave("g", {{g.ids[1], std::nullopt}});
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.member_errors, std::vector<error_code>{error_code::none});
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(heartbeat(g.ids[0], 1), error_code::rebalance_in_progress);
  const auto a = join(join_req(g.ids[0]));
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a->generation_id, 2);
  EXPECT_EQ(a->members.size(), 1U);
}

TEST_F(coordinator_leave, a_batch_answers_each_member) {
  const auto g = form_group({join_req(), join_req("", "instance-1"), join_req("", "instance-2")});
  const auto r = coord->leave("g", {{g.ids[0], std::nullopt},
                                    {"client-nobody", std::nullopt},
                                    {"client-impostor", "instance-1"},
                                    {"", "instance-unknown"},
                                    {"", "instance-2"}});  // an administrative removal
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.member_errors,
            (std::vector<error_code>{error_code::none, error_code::unknown_member_id, error_code::fenced_instance_id,
                                     error_code::unknown_member_id, error_code::none}));
  EXPECT_EQ(member_ids(coord->describe("g")), std::vector<std::string>{g.ids[1]});

  const auto missing = coord->leave("missing", {{"a", std::nullopt}, {"b", std::nullopt}});
  EXPECT_EQ(missing.error, error_code::none);
  EXPECT_EQ(missing.member_errors,
            (std::vector<error_code>{error_code::unknown_member_id, error_code::unknown_member_id}));
  EXPECT_EQ(coord->leave("", {{"a", std::nullopt}}).error, error_code::invalid_group_id);
}

TEST_F(coordinator_leave, the_last_member_leaving_empties_the_group_with_a_new_generation) {
  const auto g = form_group({join_req()});
  const auto before = log.batch_count();
  EXPECT_EQ(coord->leave("g", {{g.ids[0], std::nullopt}}).member_errors, std::vector<error_code>{error_code::none});
  EXPECT_EQ(state(), "Empty");
  EXPECT_TRUE(coord->describe("g").members.empty());
  ASSERT_EQ(log.batch_count(), before + 1);
  const auto record = log.last_batch().records.at(0);
  ASSERT_TRUE(is_group_record(record, "g"));
  const auto value = decode_group_value(*record.value);
  ASSERT_TRUE(value);
  EXPECT_EQ(value->generation, 2);
  EXPECT_TRUE(value->members.empty());
  EXPECT_FALSE(value->protocol);
  EXPECT_EQ(value->protocol_type, "consumer");

  const auto again = join(join_req());
  EXPECT_FALSE(again.ready());  // an Empty group waits the initial delay again
  run_until_join_completes();
  EXPECT_EQ(again->generation_id, 3);
}

TEST_F(coordinator_leave, a_pending_member_may_leave) {
  auto r = join_req();
  r.require_known_member_id = true;
  const auto a = join(r);
  ASSERT_EQ(a->error, error_code::member_id_required);
  EXPECT_EQ(coord->leave("g", {{a->member_id, std::nullopt}}).member_errors,
            std::vector<error_code>{error_code::none});
  EXPECT_EQ(join(join_req(a->member_id))->error, error_code::unknown_member_id);
}

}  // namespace
}  // namespace spate::group::test
