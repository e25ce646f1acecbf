// The consumer-group APIs as raw requests through the dispatcher: a member's life (join, sync,
// heartbeat, commit, fetch, leave) and the administration of groups, across versions.
#include <gtest/gtest.h>

#include "broker/authorized_operations.h"
#include "broker/group_support.h"
#include "broker/handlers/join_group.h"
#include "broker/handlers/offset_commit.h"
#include "broker/handlers/offset_fetch.h"
#include "broker_test_support.h"
#include "protocol/error_code.h"
#include "protocol/messages/delete_groups.h"
#include "protocol/messages/describe_groups.h"
#include "protocol/messages/find_coordinator.h"
#include "protocol/messages/heartbeat.h"
#include "protocol/messages/join_group.h"
#include "protocol/messages/leave_group.h"
#include "protocol/messages/list_groups.h"
#include "protocol/messages/offset_commit.h"
#include "protocol/messages/offset_delete.h"
#include "protocol/messages/offset_fetch.h"
#include "protocol/messages/sync_group.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

group::coordinator_config no_initial_delay() {
  group::coordinator_config config;
  config.initial_rebalance_delay_ms = 0;
  return config;
}

template <typename Response, typename Request>
Response round_trip(test_broker& services, const Request& request, std::int16_t version) {
  return read_response<Response>(*dispatch_driving_groups(services, request_frame(request, version)), version);
}

protocol::join_group_request join_request(const std::string& group, const std::string& member_id) {
  protocol::join_group_request r;
  r.group_id = group;
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 30000;
  r.member_id = member_id;
  r.protocol_type = "consumer";
  r.protocols.push_back({"range", {0, 1, 2}, {}});
  return r;
}

// Joins `group` as its only member at `version` (answering MEMBER_ID_REQUIRED on v4+); the answer.
protocol::join_group_response join_alone(test_broker& services, const std::string& group, std::int16_t version) {
  auto first = round_trip<protocol::join_group_response>(services, join_request(group, ""), version);
  if (version < 4) return first;
  EXPECT_EQ(first.error_code, code(error_code::member_id_required));
  return round_trip<protocol::join_group_response>(services, join_request(group, first.member_id), version);
}

protocol::offset_commit_request commit_request(const std::string& group, std::int32_t generation,
                                               const std::string& member_id) {
  protocol::offset_commit_request r;
  r.group_id = group;
  r.generation_id_or_member_epoch = generation;
  r.member_id = member_id;
  auto& topic = r.topics.emplace_back();
  topic.name = "orders";
  auto& p = topic.partitions.emplace_back();
  p.partition_index = 0;
  p.committed_offset = 42;
  p.committed_metadata = "m";
  return r;
}

class group_apis : public ::testing::Test {
 protected:
  group_apis() : broker_(test_options(), no_initial_delay()) { broker_.create_topic("orders", 2); }
  test_broker broker_;
};

TEST_F(group_apis, a_member_joins_syncs_heartbeats_commits_and_leaves) {
  // JoinGroup v4: a first join is sent back for a member id, the rejoin makes generation 1.
  const auto first = round_trip<protocol::join_group_response>(broker_, join_request("g1", ""), 4);
  EXPECT_EQ(first.error_code, code(error_code::member_id_required));
  EXPECT_FALSE(first.member_id.empty());
  EXPECT_EQ(first.generation_id, -1);
  EXPECT_EQ(first.leader, "");
  const auto member = first.member_id;

  const auto joined = round_trip<protocol::join_group_response>(broker_, join_request("g1", member), 4);
  ASSERT_EQ(joined.error_code, 0);
  EXPECT_EQ(joined.generation_id, 1);
  EXPECT_EQ(joined.member_id, member);
  EXPECT_EQ(joined.leader, member);
  EXPECT_EQ(joined.protocol_name, "range");
  ASSERT_EQ(joined.members.size(), 1u);
  EXPECT_EQ(joined.members[0].member_id, member);
  EXPECT_EQ(joined.members[0].metadata, (base::byte_buffer{0, 1, 2}));

  // SyncGroup: the leader's assignment comes back to it.
  protocol::sync_group_request sync;
  sync.group_id = "g1";
  sync.generation_id = 1;
  sync.member_id = member;
  sync.assignments.push_back({member, {7, 8, 9}, {}});
  const auto synced = round_trip<protocol::sync_group_response>(broker_, sync, 3);
  ASSERT_EQ(synced.error_code, 0);
  EXPECT_EQ(synced.assignment, (base::byte_buffer{7, 8, 9}));

  protocol::heartbeat_request beat;
  beat.group_id = "g1";
  beat.generation_id = 1;
  beat.member_id = member;
  EXPECT_EQ(round_trip<protocol::heartbeat_response>(broker_, beat, 3).error_code, 0);

  // OffsetCommit v2 from the member; a partition of an unknown topic and one past the topic's end.
  auto commit = commit_request("g1", 1, member);
  auto& missing = commit.topics.emplace_back();
  missing.name = "missing";
  missing.partitions.push_back({0, 5, -1, -1, std::string(), {}});
  commit.topics[0].partitions.push_back({7, 5, -1, -1, std::string(), {}});
  const auto committed = round_trip<protocol::offset_commit_response>(broker_, commit, 2);
  ASSERT_EQ(committed.topics.size(), 2u);
  ASSERT_EQ(committed.topics[0].partitions.size(), 2u);
  EXPECT_EQ(committed.topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(committed.topics[0].partitions[1].partition_index, 7);
  EXPECT_EQ(committed.topics[0].partitions[1].error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(committed.topics[1].name, "missing");
  EXPECT_EQ(committed.topics[1].partitions[0].error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_GT(broker_.offsets().record_count(), 0u);

  // OffsetFetch v1 (single group, named partitions): the commit, and -1 for a partition without one.
  protocol::offset_fetch_request fetch;
  fetch.group_id = "g1";
  fetch.topics.emplace();
  fetch.topics->push_back({"orders", {0, 1}, {}});
  const auto fetched = round_trip<protocol::offset_fetch_response>(broker_, fetch, 1);
  ASSERT_EQ(fetched.topics.size(), 1u);
  ASSERT_EQ(fetched.topics[0].partitions.size(), 2u);
  EXPECT_EQ(fetched.topics[0].partitions[0].committed_offset, 42);
  EXPECT_EQ(fetched.topics[0].partitions[0].metadata, "m");
  EXPECT_EQ(fetched.topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(fetched.topics[0].partitions[1].committed_offset, -1);
  EXPECT_EQ(fetched.topics[0].partitions[1].metadata, "");

  // OffsetFetch v8 (batched groups, all partitions).
  protocol::offset_fetch_request batched;
  auto& g = batched.groups.emplace_back();
  g.group_id = "g1";
  g.topics = std::nullopt;
  const auto fetched8 = round_trip<protocol::offset_fetch_response>(broker_, batched, 8);
  ASSERT_EQ(fetched8.groups.size(), 1u);
  EXPECT_EQ(fetched8.groups[0].error_code, 0);
  ASSERT_EQ(fetched8.groups[0].topics.size(), 1u);
  EXPECT_EQ(fetched8.groups[0].topics[0].name, "orders");
  ASSERT_EQ(fetched8.groups[0].topics[0].partitions.size(), 1u);
  EXPECT_EQ(fetched8.groups[0].topics[0].partitions[0].committed_offset, 42);

  // ListGroups and DescribeGroups see it Stable.
  const auto listed = round_trip<protocol::list_groups_response>(broker_, protocol::list_groups_request{}, 4);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "g1");
  EXPECT_EQ(listed.groups[0].protocol_type, "consumer");
  EXPECT_EQ(listed.groups[0].group_state, "Stable");

  protocol::describe_groups_request describe;
  describe.groups = {"g1"};
  describe.include_authorized_operations = true;
  const auto described = round_trip<protocol::describe_groups_response>(broker_, describe, 4);
  ASSERT_EQ(described.groups.size(), 1u);
  const auto& d = described.groups[0];
  EXPECT_EQ(d.error_code, 0);
  EXPECT_EQ(d.group_state, "Stable");
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol_data, "range");
  EXPECT_EQ(d.authorized_operations, all_group_operations);
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, member);
  EXPECT_EQ(d.members[0].client_id, "broker-test");
  EXPECT_EQ(d.members[0].client_host, "/192.0.2.1");
  EXPECT_EQ(d.members[0].member_assignment, (base::byte_buffer{7, 8, 9}));

  // A group with members cannot be deleted; after LeaveGroup v3 it can.
  protocol::delete_groups_request del;
  del.groups_names = {"g1"};
  auto deleted = round_trip<protocol::delete_groups_response>(broker_, del, 1);
  ASSERT_EQ(deleted.results.size(), 1u);
  EXPECT_EQ(deleted.results[0].group_id, "g1");
  EXPECT_EQ(deleted.results[0].error_code, code(error_code::non_empty_group));

  protocol::leave_group_request leave;
  leave.group_id = "g1";
  leave.members.push_back({member, std::nullopt, std::nullopt, {}});
  leave.members.push_back({"stranger", std::nullopt, std::nullopt, {}});
  const auto left = round_trip<protocol::leave_group_response>(broker_, leave, 3);
  EXPECT_EQ(left.error_code, 0);
  ASSERT_EQ(left.members.size(), 2u);
  EXPECT_EQ(left.members[0].member_id, member);
  EXPECT_EQ(left.members[0].error_code, 0);
  EXPECT_EQ(left.members[1].member_id, "stranger");
  EXPECT_EQ(left.members[1].error_code, code(error_code::unknown_member_id));

  deleted = round_trip<protocol::delete_groups_response>(broker_, del, 1);
  ASSERT_EQ(deleted.results.size(), 1u);
  EXPECT_EQ(deleted.results[0].error_code, 0);
  EXPECT_TRUE(round_trip<protocol::list_groups_response>(broker_, protocol::list_groups_request{}, 3).groups.empty());
}

TEST_F(group_apis, every_join_group_version_makes_a_generation) {
  for (std::int16_t v = join_group_handler::min_version; v <= join_group_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string group = "join-v" + std::to_string(v);
    const auto joined = join_alone(broker_, group, v);
    ASSERT_EQ(joined.error_code, 0);
    EXPECT_EQ(joined.generation_id, 1);
    EXPECT_EQ(joined.leader, joined.member_id);
    EXPECT_EQ(joined.protocol_name, "range");
    if (v >= 7) {
      EXPECT_EQ(joined.protocol_type, "consumer");
    }
    ASSERT_EQ(joined.members.size(), 1u);
  }
}

TEST_F(group_apis, join_errors_have_no_generation_and_keep_the_member_id) {
  for (std::int16_t v : {0, 6, 7}) {
    SCOPED_TRACE(v);
    auto request = join_request("strict", "not-a-member");
    const auto response = round_trip<protocol::join_group_response>(broker_, request, v);
    EXPECT_EQ(response.error_code, code(error_code::unknown_member_id));
    EXPECT_EQ(response.generation_id, -1);
    EXPECT_EQ(response.member_id, "not-a-member");
    EXPECT_EQ(response.leader, "");
    // Not nullable before v7: an empty name; null from v7.
    EXPECT_EQ(response.protocol_name, v < 7 ? std::optional<std::string>("") : std::nullopt);
  }
}

TEST_F(group_apis, static_members_are_not_sent_back_for_a_member_id) {
  auto request = join_request("static", "");
  request.group_instance_id = "instance-1";
  const auto joined = round_trip<protocol::join_group_response>(broker_, request, 5);
  ASSERT_EQ(joined.error_code, 0);
  EXPECT_FALSE(joined.member_id.empty());
  ASSERT_EQ(joined.members.size(), 1u);
  EXPECT_EQ(joined.members[0].group_instance_id, "instance-1");
}

TEST_F(group_apis, sync_group_v5_without_protocol_is_inconsistent) {
  const auto joined = join_alone(broker_, "g5", 7);
  ASSERT_EQ(joined.error_code, 0);
  protocol::sync_group_request sync;
  sync.group_id = "g5";
  sync.generation_id = joined.generation_id;
  sync.member_id = joined.member_id;
  auto response = round_trip<protocol::sync_group_response>(broker_, sync, 5);
  EXPECT_EQ(response.error_code, code(error_code::inconsistent_group_protocol));

  sync.protocol_type = "consumer";
  sync.protocol_name = "range";
  sync.assignments.push_back({joined.member_id, {1}, {}});
  response = round_trip<protocol::sync_group_response>(broker_, sync, 5);
  EXPECT_EQ(response.error_code, 0);
  EXPECT_EQ(response.protocol_type, "consumer");
  EXPECT_EQ(response.protocol_name, "range");
  EXPECT_EQ(response.assignment, (base::byte_buffer{1}));
}

TEST_F(group_apis, leave_group_before_v3_answers_the_members_error_at_the_top) {
  const auto joined = join_alone(broker_, "old", 2);
  ASSERT_EQ(joined.error_code, 0);
  protocol::leave_group_request leave;
  leave.group_id = "old";
  leave.member_id = "stranger";
  EXPECT_EQ(round_trip<protocol::leave_group_response>(broker_, leave, 1).error_code,
            code(error_code::unknown_member_id));
  leave.member_id = joined.member_id;
  EXPECT_EQ(round_trip<protocol::leave_group_response>(broker_, leave, 2).error_code, 0);
}

TEST_F(group_apis, simple_commits_and_fetches_work_in_every_version) {
  for (std::int16_t v = offset_commit_handler::min_version; v <= offset_commit_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    auto commit = commit_request("simple", -1, "");
    commit.topics[0].partitions[0].committed_offset = 100 + v;
    if (v >= 6) commit.topics[0].partitions[0].committed_leader_epoch = 3;
    if (v == 1) commit.topics[0].partitions[0].commit_timestamp = 1'700'000'000'000;
    const auto committed = round_trip<protocol::offset_commit_response>(broker_, commit, v);
    ASSERT_EQ(committed.topics.size(), 1u);
    EXPECT_EQ(committed.topics[0].partitions[0].error_code, 0);
  }
  for (std::int16_t v = offset_fetch_handler::min_version; v <= offset_fetch_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    protocol::offset_fetch_request fetch;
    if (v < 8) {
      fetch.group_id = "simple";
      fetch.topics.emplace();
      fetch.topics->push_back({"orders", {0}, {}});
    } else {
      auto& g = fetch.groups.emplace_back();
      g.group_id = "simple";
      g.topics.emplace();
      g.topics->push_back({"orders", {0}, {}});
    }
    const auto fetched = round_trip<protocol::offset_fetch_response>(broker_, fetch, v);
    if (v < 8) {
      ASSERT_EQ(fetched.topics.size(), 1u);
      ASSERT_EQ(fetched.topics[0].partitions.size(), 1u);
      EXPECT_EQ(fetched.topics[0].partitions[0].committed_offset, 109);
      EXPECT_EQ(fetched.topics[0].partitions[0].committed_leader_epoch, v >= 5 ? 3 : -1);
    } else {
      ASSERT_EQ(fetched.groups.size(), 1u);
      ASSERT_EQ(fetched.groups[0].topics.size(), 1u);
      ASSERT_EQ(fetched.groups[0].topics[0].partitions.size(), 1u);
      EXPECT_EQ(fetched.groups[0].topics[0].partitions[0].committed_offset, 109);
      EXPECT_EQ(fetched.groups[0].topics[0].partitions[0].committed_leader_epoch, 3);
    }
  }
}

TEST_F(group_apis, commits_to_unknown_partitions_only_never_reach_the_coordinator) {
  protocol::offset_commit_request commit;
  commit.group_id = "nobody";
  auto& topic = commit.topics.emplace_back();
  topic.name = "missing";
  topic.partitions.push_back({0, 1, -1, -1, std::string(), {}});
  const auto response = round_trip<protocol::offset_commit_response>(broker_, commit, 8);
  EXPECT_EQ(response.topics.at(0).partitions.at(0).error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(broker_.offsets().record_count(), 0u);
  EXPECT_EQ(broker_.groups().group_count(), 0u);
}

TEST_F(group_apis, list_groups_filters_by_state_and_type) {
  ASSERT_EQ(join_alone(broker_, "listed", 4).error_code, 0);
  protocol::list_groups_request request;
  request.states_filter = {"completingrebalance"};  // joined, not yet synced
  EXPECT_EQ(round_trip<protocol::list_groups_response>(broker_, request, 4).groups.size(), 1u);
  request.states_filter = {"Empty"};
  EXPECT_TRUE(round_trip<protocol::list_groups_response>(broker_, request, 4).groups.empty());

  request.states_filter = {};
  request.types_filter = {"consumer"};
  EXPECT_TRUE(round_trip<protocol::list_groups_response>(broker_, request, 5).groups.empty());
  request.types_filter = {"Classic"};
  const auto listed = round_trip<protocol::list_groups_response>(broker_, request, 5);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_type, "classic");
}

TEST_F(group_apis, describe_groups_every_version) {
  ASSERT_EQ(join_alone(broker_, "described", 4).error_code, 0);
  for (std::int16_t v = 0; v <= 5; ++v) {
    SCOPED_TRACE(v);
    protocol::describe_groups_request request;
    request.groups = {"described", "unknown"};
    const auto response = round_trip<protocol::describe_groups_response>(broker_, request, v);
    ASSERT_EQ(response.groups.size(), 2u);
    EXPECT_EQ(response.groups[0].group_state, "CompletingRebalance");
    EXPECT_EQ(response.groups[0].members.size(), 1u);
    EXPECT_EQ(response.groups[0].authorized_operations, authorized_operations_omitted);
    EXPECT_EQ(response.groups[1].error_code, 0);
    EXPECT_EQ(response.groups[1].group_state, "Dead");
  }
}

TEST_F(group_apis, offset_delete_removes_offsets_of_an_empty_group) {
  auto commit = commit_request("emptied", -1, "");
  ASSERT_EQ(round_trip<protocol::offset_commit_response>(broker_, commit, 8).topics[0].partitions[0].error_code, 0);
  protocol::offset_delete_request del;
  del.group_id = "emptied";
  del.topics.push_back({"orders", {{0, {}}}, {}});
  del.topics.push_back({"missing", {{0, {}}}, {}});
  const auto deleted = round_trip<protocol::offset_delete_response>(broker_, del, 0);
  EXPECT_EQ(deleted.error_code, 0);
  ASSERT_EQ(deleted.topics.size(), 2u);
  EXPECT_EQ(deleted.topics[0].partitions.at(0).error_code, 0);
  EXPECT_EQ(deleted.topics[1].partitions.at(0).error_code, code(error_code::unknown_topic_or_partition));

  protocol::offset_fetch_request fetch;
  fetch.group_id = "emptied";
  fetch.topics.emplace();
  fetch.topics->push_back({"orders", {0}, {}});
  const auto fetched = round_trip<protocol::offset_fetch_response>(broker_, fetch, 7);
  EXPECT_EQ(fetched.topics.at(0).partitions.at(0).committed_offset, -1);

  del.group_id = "never-seen";
  const auto unknown = round_trip<protocol::offset_delete_response>(broker_, del, 0);
  EXPECT_EQ(unknown.error_code, code(error_code::group_id_not_found));
  EXPECT_TRUE(unknown.topics.empty());
}

TEST(find_coordinator_for_groups, the_empty_group_id_is_coordinated_here_too) {
  test_broker services;
  protocol::find_coordinator_request request;
  request.key_type = 0;
  request.key_value = "";
  const auto response =
      read_response<protocol::find_coordinator_response>(*dispatch(services, request_frame(request, 3)), 3);
  EXPECT_EQ(response.error_code, 0);
  EXPECT_EQ(response.node_id, 7);
}

TEST(group_client_host, is_the_peer_address_without_its_port) {
  EXPECT_EQ(group_client_host("10.0.0.1:9092"), "/10.0.0.1");
  EXPECT_EQ(group_client_host("[::1]:50000"), "/::1");
  EXPECT_EQ(group_client_host("test"), "/test");
}

}  // namespace
}  // namespace spate::broker
