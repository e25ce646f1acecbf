// Static membership (KIP-345) in the coordinator: a static member restarting with a new member id
// takes its old place, without a rebalance when the group's protocol stays, as in Kafka's
// GroupCoordinator.updateStaticMemberAndRebalance.
#include "group/coordinator.h"

#include <gtest/gtest.h>

#include "coordinator_test_support.h"

namespace spate::group::test {
namespace {

using coordinator_static = coordinator_fixture;

TEST_F(coordinator_static, a_restarted_static_member_takes_its_old_place_without_a_rebalance) {
  const auto g = form_group({join_req("", "instance-1"), join_req("", "instance-2")});
  const std::string old_id = g.ids[0];
  ASSERT_EQ(g.leader, old_id);
  log.set_mode(fake_offsets_log::mode::hold);
  const auto rejoin = join(join_req("", "instance-1"));
  EXPECT_FALSE(rejoin.ready());  // the new member id must be durable first
  ASSERT_EQ(log.held(), 1U);
  const auto record = log.last_batch().records.at(0);
  ASSERT_TRUE(is_group_record(record, "g"));
  const auto value = decode_group_value(*record.value);
  ASSERT_TRUE(value);
  EXPECT_EQ(value->generation, 1);
  log.release_one();

  ASSERT_TRUE(rejoin.ready());
  EXPECT_EQ(rejoin->error, error_code::none);
  EXPECT_EQ(rejoin->generation_id, 1);
  EXPECT_NE(rejoin->member_id, old_id);
  EXPECT_EQ(rejoin->member_id.rfind("instance-1-", 0), 0U) << rejoin->member_id;
  // Before JoinGroup v9 the answer names the old leader id, so the restarted leader does not
  // mistake itself for the leader and run an assignment a Stable group would ignore.
  EXPECT_EQ(rejoin->leader, old_id);
  EXPECT_TRUE(rejoin->members.empty());
  EXPECT_FALSE(rejoin->skip_assignment);
  EXPECT_EQ(state(), "Stable");
  bool names_new_id = false;
  for (const auto& m : value->members) names_new_id |= m.member_id == rejoin->member_id;
  EXPECT_TRUE(names_new_id);

  EXPECT_EQ(heartbeat(g.ids[1], 1, "instance-2"), error_code::none);
  const auto s = sync(rejoin->member_id, 1, {}, "instance-1");
  ASSERT_TRUE(s.ready());
  EXPECT_EQ(s->error, error_code::none);
  EXPECT_EQ(s->assignment, bytes("assignment-" + old_id));
  EXPECT_EQ(heartbeat(old_id, 1, "instance-1"), error_code::fenced_instance_id);
  EXPECT_EQ(heartbeat(rejoin->member_id, 1, "instance-1"), error_code::none);
  EXPECT_EQ(heartbeat(g.ids[1], 1, "instance-2"), error_code::none);
  EXPECT_EQ(state(), "Stable");
}

TEST_F(coordinator_static, a_restarted_static_leader_that_can_skip_the_assignment_learns_it_leads) {
  const auto g = form_group({join_req("", "instance-1"), join_req("", "instance-2")});
  auto r = join_req("", "instance-1");
  r.supports_skip_assignment = true;
  const auto rejoin = join(r);
  ASSERT_TRUE(rejoin.ready());
  EXPECT_EQ(rejoin->leader, rejoin->member_id);
  EXPECT_TRUE(rejoin->skip_assignment);
  EXPECT_EQ(rejoin->members.size(), 2U);
  EXPECT_EQ(state(), "Stable");
}

TEST_F(coordinator_static, a_failed_record_undoes_the_replacement) {
  const auto g = form_group({join_req("", "instance-1"), join_req("", "instance-2")});
  log.set_mode(fake_offsets_log::mode::fail);
  const auto rejoin = join(join_req("", "instance-1"));
  ASSERT_TRUE(rejoin.ready());
  EXPECT_EQ(rejoin->error, error_code::not_coordinator);
  EXPECT_EQ(rejoin->member_id, "");
  EXPECT_EQ(heartbeat(g.ids[0], 1, "instance-1"), error_code::none);
  EXPECT_EQ(member_ids(coord->describe("g")), sorted(g.ids));
}

TEST_F(coordinator_static, a_static_member_changing_the_chosen_protocol_starts_a_rebalance) {
  auto req = [](std::string member, std::string instance) {
    auto r = join_req(std::move(member), std::move(instance));
    r.protocols = {{"range", subscription({"t"})}, {"roundrobin", bytes("rr")}};
    return r;
  };
  const auto g = form_group({req("", "instance-1"), req("", "instance-2")});
  auto only_rr = req("", "instance-1");
  only_rr.protocols = {{"roundrobin", bytes("rr")}};
  const auto rejoin = join(only_rr);
  EXPECT_FALSE(rejoin.ready());
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(heartbeat(g.ids[1], 1, "instance-2"), error_code::rebalance_in_progress);
  const auto other = join(req(g.ids[1], "instance-2"));
  ASSERT_TRUE(rejoin.ready() && other.ready());
  EXPECT_EQ(rejoin->generation_id, 2);
  EXPECT_EQ(rejoin->protocol_name, "roundrobin");
}

TEST_F(coordinator_static, a_static_member_restarting_during_completing_rebalance_restarts_the_rebalance) {
  const auto a = join(join_req("", "instance-1"));
  const auto b = join(join_req("", "instance-2"));
  run_until_join_completes();
  ASSERT_EQ(state(), "CompletingRebalance");
  const auto follower_sync = sync(b->member_id, 1, {}, "instance-2");
  const auto rejoin = join(join_req("", "instance-1"));
  EXPECT_EQ(state(), "PreparingRebalance");
  ASSERT_TRUE(follower_sync.ready());
  EXPECT_EQ(follower_sync->error, error_code::rebalance_in_progress);
  const auto b2 = join(join_req(b->member_id, "instance-2"));
  ASSERT_TRUE(rejoin.ready() && b2.ready());
  EXPECT_EQ(rejoin->generation_id, 2);
  EXPECT_EQ(rejoin->leader, rejoin->member_id);  // it took over the old leader's place
}

}  // namespace
}  // namespace spate::group::test
