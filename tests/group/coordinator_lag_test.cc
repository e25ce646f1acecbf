// The coordinator's snapshot for the lag monitor: groups with committed offsets (Empty ones
// included), their members with client id, host, last heartbeat and assignment.
#include <gtest/gtest.h>

#include "coordinator_test_support.h"
#include "group/coordinator.h"

namespace spate::group::test {
namespace {

using coordinator_lag = coordinator_fixture;

const topic_partition t0{"t", 0};
const topic_partition t1{"t", 1};

const group_lag_snapshot* find_group(const std::vector<group_lag_snapshot>& all, const std::string& id) {
  for (const auto& g : all)
    if (g.group_id == id) return &g;
  return nullptr;
}

TEST_F(coordinator_lag, an_empty_group_with_offsets_is_included_and_a_group_without_offsets_is_not) {
  const auto committed_at = now();
  ASSERT_EQ(commit(commit_req("idle", -1, "", {{t0, 42}, {t1, 7}}))->error, error_code::none);
  form_group({join_req()});  // "g": members, nothing committed

  const auto snap = coord->lag_snapshot();
  ASSERT_EQ(snap.size(), 1u);
  const auto& idle = snap.front();
  EXPECT_EQ(idle.group_id, "idle");
  EXPECT_EQ(idle.state, "Empty");
  EXPECT_TRUE(idle.members.empty());
  ASSERT_EQ(idle.offsets.size(), 2u);
  EXPECT_EQ(idle.offsets[0].partition, t0);
  EXPECT_EQ(idle.offsets[0].offset, 42);
  EXPECT_EQ(idle.offsets[0].commit_timestamp, committed_at);
  EXPECT_EQ(idle.offsets[1].partition, t1);
  EXPECT_EQ(idle.offsets[1].offset, 7);
}

TEST_F(coordinator_lag, members_carry_their_client_host_assignment_and_last_heartbeat) {
  auto second = join_req();
  second.client_id = "other";
  second.client_host = "/10.0.0.2";
  const auto g = form_group({join_req(), second});
  const auto formed_at = now();
  clock.advance(1234);
  const auto heartbeat_at = now();
  ASSERT_EQ(heartbeat(g.ids[1], g.generation), error_code::none);
  ASSERT_EQ(commit(commit_req("g", g.generation, g.ids[0], {{t0, 5}}))->error, error_code::none);
  clock.advance(10);

  const auto snap = coord->lag_snapshot();
  const auto* s = find_group(snap, "g");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->state, "Stable");
  EXPECT_EQ(s->protocol_type, "consumer");
  ASSERT_EQ(s->members.size(), 2u);
  for (const auto& m : s->members) {
    EXPECT_EQ(m.assignment, bytes("assignment-" + m.member_id));
    if (m.member_id == g.ids[1]) {
      EXPECT_EQ(m.client_id, "other");
      EXPECT_EQ(m.client_host, "/10.0.0.2");
      EXPECT_EQ(m.last_heartbeat_ms, heartbeat_at);
    } else {
      EXPECT_EQ(m.member_id, g.ids[0]);
      EXPECT_EQ(m.client_id, "client");
      EXPECT_EQ(m.client_host, "/10.0.0.1");
      // A member's own commit is a sign of life, as in Kafka.
      EXPECT_EQ(m.last_heartbeat_ms, heartbeat_at);
    }
    EXPECT_GE(m.last_heartbeat_ms, formed_at);
  }
  ASSERT_EQ(s->offsets.size(), 1u);
  EXPECT_EQ(s->offsets[0].offset, 5);
}

TEST_F(coordinator_lag, a_group_whose_members_left_stays_in_the_snapshot_as_empty) {
  const auto g = form_group({join_req()});
  ASSERT_EQ(commit(commit_req("g", g.generation, g.ids[0], {{t0, 9}}))->error, error_code::none);
  const auto left = coord->leave("g", {{g.ids[0], std::nullopt}});
  ASSERT_EQ(left.error, error_code::none);
  const auto snap = coord->lag_snapshot();
  const auto* s = find_group(snap, "g");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->state, "Empty");
  EXPECT_TRUE(s->members.empty());
  ASSERT_EQ(s->offsets.size(), 1u);
  EXPECT_EQ(s->offsets[0].offset, 9);
}

TEST_F(coordinator_lag, offsets_of_an_open_transaction_are_not_in_the_snapshot) {
  txn_commit_request r;
  r.group_id = "tx";
  r.transactional_id = "tid";
  r.producer_id = 77;
  r.producer_epoch = 0;
  r.offsets.push_back({t0, committed_offset{.offset = 3}});
  answer<commit_result> a;
  coord->txn_commit(std::move(r), a.callback());
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(find_group(coord->lag_snapshot(), "tx"), nullptr);
  coord->complete_transaction(77, true, partition_for_group("tx", log.partition_count()));
  const auto snap = coord->lag_snapshot();
  const auto* s = find_group(snap, "tx");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->offsets.size(), 1u);
  EXPECT_EQ(s->offsets[0].offset, 3);
}

}  // namespace
}  // namespace spate::group::test
