// ACL enforcement in the consumer-group and administration APIs: each denied case answers
// Kafka's code and changes nothing; listings show only what the principal may describe.
#include <gtest/gtest.h>

#include "authorization_support.h"
#include "broker/authorized_operations.h"
#include "protocol/error_code.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/delete_groups.h"
#include "protocol/messages/delete_topics.h"
#include "protocol/messages/describe_configs.h"
#include "protocol/messages/describe_groups.h"
#include "protocol/messages/find_coordinator.h"
#include "protocol/messages/incremental_alter_configs.h"
#include "protocol/messages/join_group.h"
#include "protocol/messages/list_groups.h"
#include "protocol/messages/offset_commit.h"
#include "protocol/messages/offset_fetch.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;
using security::acl_operation;
using security::resource_type;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

class authorization_admin_test : public ::testing::Test {
 protected:
  authorization_admin_test() { services().create_topic("orders", 1); }
  test_broker& services() { return acl.services(); }

  template <typename Response, typename Request>
  Response ask(const Request& request, std::int16_t version) {
    return read_response<Response>(*dispatch_driving_groups(services(), request_frame(request, version)), version);
  }

  protocol::offset_commit_response commit(const std::string& group, std::int64_t offset) {
    protocol::offset_commit_request r;
    r.group_id = group;
    auto& topic = r.topics.emplace_back();
    topic.name = "orders";
    auto& p = topic.partitions.emplace_back();
    p.partition_index = 0;
    p.committed_offset = offset;
    return ask<protocol::offset_commit_response>(r, 8);
  }

  protocol::offset_fetch_response fetch_offsets(const std::string& group) {
    protocol::offset_fetch_request r;
    r.group_id = group;
    r.topics.emplace();
    r.topics->push_back({"orders", {0}, {}});
    return ask<protocol::offset_fetch_response>(r, 7);
  }

  authorized_broker acl;
};

TEST_F(authorization_admin_test, joining_a_group_without_read_is_group_authorization_failed) {
  protocol::join_group_request join;
  join.group_id = "g";
  join.session_timeout_ms = 10000;
  join.rebalance_timeout_ms = 30000;
  join.protocol_type = "consumer";
  join.protocols.push_back({"range", {0}, {}});
  const auto joined = ask<protocol::join_group_response>(join, 7);
  EXPECT_EQ(joined.error_code, code(error_code::group_authorization_failed));
  EXPECT_EQ(joined.generation_id, -1);
  EXPECT_TRUE(services().groups().list({}).empty());
}

TEST_F(authorization_admin_test, offset_commit_needs_read_on_the_group_and_on_the_topic) {
  EXPECT_EQ(commit("g", 5).topics.at(0).partitions.at(0).error_code, code(error_code::group_authorization_failed));
  acl.allow(resource_type::group, "g", acl_operation::read);
  EXPECT_EQ(commit("g", 5).topics.at(0).partitions.at(0).error_code, code(error_code::topic_authorization_failed));
  EXPECT_EQ(services().offsets().record_count(), 0u);

  acl.allow(resource_type::topic, "orders", acl_operation::read);
  EXPECT_EQ(commit("g", 5).topics.at(0).partitions.at(0).error_code, 0);
  const auto fetched = fetch_offsets("g");
  EXPECT_EQ(fetched.error_code, 0);
  EXPECT_EQ(fetched.topics.at(0).partitions.at(0).committed_offset, 5);
}

TEST_F(authorization_admin_test, offset_fetch_needs_describe_on_the_group_and_the_topic) {
  acl.allow(resource_type::group, "g", acl_operation::read);
  acl.allow(resource_type::topic, "orders", acl_operation::read);
  ASSERT_EQ(commit("g", 5).topics.at(0).partitions.at(0).error_code, 0);
  EXPECT_EQ(fetch_offsets("other").error_code, code(error_code::group_authorization_failed));

  acl.deny(resource_type::topic, "orders", acl_operation::describe);
  const auto hidden = fetch_offsets("g");
  EXPECT_EQ(hidden.error_code, 0);
  EXPECT_EQ(hidden.topics.at(0).partitions.at(0).error_code, code(error_code::topic_authorization_failed));
  EXPECT_EQ(hidden.topics.at(0).partitions.at(0).committed_offset, -1);
}

TEST_F(authorization_admin_test, group_listing_and_description_follow_describe) {
  acl.allow(resource_type::group, "", acl_operation::read, security::pattern_type::prefixed);
  acl.allow(resource_type::topic, "orders", acl_operation::read);
  ASSERT_EQ(commit("seen", 1).topics.at(0).partitions.at(0).error_code, 0);
  ASSERT_EQ(commit("hidden", 1).topics.at(0).partitions.at(0).error_code, 0);
  acl.deny(resource_type::group, "hidden", acl_operation::describe);

  const auto listed = ask<protocol::list_groups_response>(protocol::list_groups_request{}, 4);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "seen");

  protocol::describe_groups_request describe;
  describe.groups = {"seen", "hidden"};
  describe.include_authorized_operations = true;
  const auto described = ask<protocol::describe_groups_response>(describe, 5);
  ASSERT_EQ(described.groups.size(), 2u);
  EXPECT_EQ(described.groups[0].error_code, 0);
  EXPECT_EQ(described.groups[0].authorized_operations, operation_bits({acl_operation::read, acl_operation::describe}));
  EXPECT_EQ(described.groups[1].error_code, code(error_code::group_authorization_failed));

  protocol::find_coordinator_request find;
  find.key_type = 0;
  find.coordinator_keys = {"seen", "hidden"};
  const auto found = ask<protocol::find_coordinator_response>(find, 4);
  EXPECT_EQ(found.coordinators.at(0).error_code, 0);
  EXPECT_EQ(found.coordinators.at(1).error_code, code(error_code::group_authorization_failed));

  protocol::delete_groups_request del;
  del.groups_names = {"seen"};
  EXPECT_EQ(ask<protocol::delete_groups_response>(del, 2).results.at(0).error_code,
            code(error_code::group_authorization_failed));
  EXPECT_EQ(services().groups().list({}).size(), 2u);
}

TEST_F(authorization_admin_test, topic_administration_needs_create_delete_and_configs_rights) {
  protocol::create_topics_request create;
  auto& wanted = create.topics.emplace_back();
  wanted.name = "fresh";
  wanted.num_partitions = 1;
  wanted.replication_factor = 1;
  EXPECT_EQ(ask<protocol::create_topics_response>(create, 7).topics.at(0).error_code,
            code(error_code::topic_authorization_failed));
  EXPECT_FALSE(services().logs().find_topic("fresh"));

  protocol::delete_topics_request del;
  del.topic_names = {"orders"};
  EXPECT_EQ(ask<protocol::delete_topics_response>(del, 5).responses.at(0).error_code,
            code(error_code::topic_authorization_failed));
  EXPECT_TRUE(services().logs().find_topic("orders"));

  protocol::describe_configs_request describe;
  describe.resources.push_back({2, "orders", std::nullopt, {}});
  describe.resources.push_back({4, "7", std::nullopt, {}});
  const auto described = ask<protocol::describe_configs_response>(describe, 4);
  EXPECT_EQ(described.results.at(0).error_code, code(error_code::topic_authorization_failed));
  EXPECT_EQ(described.results.at(1).error_code, code(error_code::cluster_authorization_failed));

  protocol::incremental_alter_configs_request alter;
  auto& resource = alter.resources.emplace_back();
  resource.resource_type = 2;
  resource.resource_name = "orders";
  resource.configs.push_back({"retention.ms", 0, std::string("1000"), {}});
  EXPECT_EQ(ask<protocol::incremental_alter_configs_response>(alter, 1).responses.at(0).error_code,
            code(error_code::topic_authorization_failed));
  EXPECT_TRUE(services().logs().find_topic("orders")->configs.empty());

  acl.allow(resource_type::cluster, std::string(security::cluster_resource_name), acl_operation::create);
  acl.allow(resource_type::topic, "orders", acl_operation::alter_configs);
  EXPECT_EQ(ask<protocol::create_topics_response>(create, 7).topics.at(0).error_code, 0);
  EXPECT_EQ(ask<protocol::incremental_alter_configs_response>(alter, 1).responses.at(0).error_code, 0);
  EXPECT_EQ(services().logs().find_topic("orders")->configs.at("retention.ms"), "1000");
}

}  // namespace
}  // namespace spate::broker
