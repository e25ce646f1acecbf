// ACL enforcement on the data path and in Metadata: each API's denied case answers Kafka's code
// and changes nothing; Metadata hides what the principal may not describe; KIP-430 bits.
#include <gtest/gtest.h>

#include "authorization_support.h"
#include "broker/authorized_operations.h"
#include "data_path_support.h"
#include "protocol/error_code.h"
#include "protocol/messages/init_producer_id.h"
#include "protocol/messages/metadata.h"
#include "protocol/messages/offset_for_leader_epoch.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;
using security::acl_operation;
using security::resource_type;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

class authorization_data_test : public ::testing::Test {
 protected:
  authorization_data_test() {
    services().create_topic("open", 1);
    services().create_topic("secret", 1);
  }
  test_broker& services() { return acl.services(); }

  protocol::metadata_response metadata(const protocol::metadata_request& request, std::int16_t version = 12) {
    return read_response<protocol::metadata_response>(*dispatch(services(), request_frame(request, version)), version);
  }
  static protocol::metadata_request for_topics(std::initializer_list<const char*> names) {
    protocol::metadata_request request;
    request.topics.emplace();
    for (const auto* name : names) request.topics->emplace_back().name = name;
    return request;
  }
  protocol::init_producer_id_response init_producer_id(std::optional<std::string> transactional_id) {
    protocol::init_producer_id_request req;
    req.transactional_id = std::move(transactional_id);
    req.transaction_timeout_ms = 60000;
    return read_response<protocol::init_producer_id_response>(*dispatch(services(), request_frame(req, 4)), 4);
  }

  authorized_broker acl;
};

TEST_F(authorization_data_test, produce_without_write_is_topic_authorization_failed_and_appends_nothing) {
  acl.allow(resource_type::topic, "open", acl_operation::describe);
  const auto p = produce(services(), "open", 0, make_batch(3));
  EXPECT_EQ(p.error_code, code(error_code::topic_authorization_failed));
  EXPECT_EQ(services().logs().get("open", 0)->log_end_offset(), 0);

  acl.allow(resource_type::topic, "open", acl_operation::write);
  EXPECT_EQ(produce(services(), "open", 0, make_batch(3)).error_code, 0);
  EXPECT_EQ(services().logs().get("open", 0)->log_end_offset(), 3);
}

TEST_F(authorization_data_test, a_denied_topic_is_refused_alike_whether_it_exists_or_not) {
  EXPECT_EQ(produce(services(), "missing", 0, make_batch(1)).error_code, code(error_code::topic_authorization_failed));
}

TEST_F(authorization_data_test, transactional_produce_needs_write_on_the_transactional_id) {
  acl.allow(resource_type::topic, "open", acl_operation::write);
  auto req = produce_request_for("open", 0, make_batch(2));
  req.transactional_id = "tx";
  const auto resp = read_response<protocol::produce_response>(*dispatch(services(), request_frame(req, 9)), 9);
  EXPECT_EQ(resp.responses.at(0).partition_responses.at(0).error_code,
            code(error_code::transactional_id_authorization_failed));
  EXPECT_EQ(services().logs().get("open", 0)->log_end_offset(), 0);
}

TEST_F(authorization_data_test, acks_zero_produce_without_write_closes_the_connection) {
  EXPECT_THROW(dispatch(services(), request_frame(produce_request_for("open", 0, make_batch(1), 0), 9)),
               request_rejected);
  EXPECT_EQ(services().logs().get("open", 0)->log_end_offset(), 0);
}

TEST_F(authorization_data_test, fetch_list_offsets_and_leader_epochs_need_read_and_describe) {
  acl.allow(resource_type::topic, "open", acl_operation::write);  // implies DESCRIBE, not READ
  ASSERT_EQ(produce(services(), "open", 0, make_batch(2)).error_code, 0);
  EXPECT_EQ(fetch_one(services(), "open", 0, 0).error_code, code(error_code::topic_authorization_failed));
  EXPECT_EQ(list_offsets(services(), "open", 0, -1).error_code, 0);
  EXPECT_EQ(list_offsets(services(), "secret", 0, -1).error_code, code(error_code::topic_authorization_failed));

  protocol::offset_for_leader_epoch_request epochs;
  auto& t = epochs.topics.emplace_back();
  t.topic = "secret";
  t.partitions.emplace_back().partition = 0;
  const auto answer =
      read_response<protocol::offset_for_leader_epoch_response>(*dispatch(services(), request_frame(epochs, 4)), 4);
  EXPECT_EQ(answer.topics.at(0).partitions.at(0).error_code, code(error_code::topic_authorization_failed));

  acl.allow(resource_type::topic, "open", acl_operation::read);
  const auto fetched = fetch_one(services(), "open", 0, 0);
  EXPECT_EQ(fetched.error_code, 0);
  EXPECT_EQ(fetched.high_watermark, 2);
}

TEST_F(authorization_data_test, metadata_lists_only_describable_topics_and_refuses_named_ones) {
  acl.allow(resource_type::topic, "open", acl_operation::read);
  protocol::metadata_request every_topic;
  every_topic.topics = std::nullopt;
  const auto all = metadata(every_topic);
  ASSERT_EQ(all.topics.size(), 1u);
  EXPECT_EQ(all.topics[0].name, "open");

  const auto named = metadata(for_topics({"open", "secret"}));
  ASSERT_EQ(named.topics.size(), 2u);
  EXPECT_EQ(named.topics[0].error_code, 0);
  EXPECT_EQ(named.topics[1].error_code, code(error_code::topic_authorization_failed));
  EXPECT_TRUE(named.topics[1].partitions.empty());
}

TEST_F(authorization_data_test, metadata_auto_creates_only_with_create_on_the_cluster_or_the_topic) {
  acl.allow(resource_type::topic, "auto-", acl_operation::describe, security::pattern_type::prefixed);
  EXPECT_EQ(metadata(for_topics({"auto-one"})).topics.at(0).error_code, code(error_code::topic_authorization_failed));
  EXPECT_FALSE(services().logs().find_topic("auto-one"));

  acl.allow(resource_type::topic, "auto-", acl_operation::create, security::pattern_type::prefixed);
  EXPECT_EQ(metadata(for_topics({"auto-one"})).topics.at(0).error_code, 0);
  EXPECT_TRUE(services().logs().find_topic("auto-one"));
}

TEST_F(authorization_data_test, authorized_operations_are_the_principals_own) {
  acl.allow(resource_type::topic, "open", acl_operation::read);
  acl.allow(resource_type::topic, "open", acl_operation::alter_configs);
  auto request = for_topics({"open"});
  request.include_topic_authorized_operations = true;
  request.include_cluster_authorized_operations = true;
  const auto response = metadata(request, 10);
  EXPECT_EQ(response.topics.at(0).topic_authorized_operations,
            operation_bits({acl_operation::read, acl_operation::describe, acl_operation::alter_configs,
                            acl_operation::describe_configs}));
  // Nothing about a cluster it may not describe.
  EXPECT_EQ(response.cluster_authorized_operations, 0);

  acl.allow(resource_type::cluster, std::string(security::cluster_resource_name), acl_operation::describe);
  acl.allow(resource_type::cluster, std::string(security::cluster_resource_name), acl_operation::idempotent_write);
  EXPECT_EQ(metadata(request, 10).cluster_authorized_operations,
            operation_bits({acl_operation::describe, acl_operation::idempotent_write}));
}

TEST_F(authorization_data_test, init_producer_id_needs_the_transactional_id_or_idempotent_write) {
  EXPECT_EQ(init_producer_id("tx").error_code, code(error_code::transactional_id_authorization_failed));
  EXPECT_EQ(init_producer_id(std::nullopt).error_code, code(error_code::cluster_authorization_failed));
  // KIP-679: WRITE on any topic is enough for an idempotent producer.
  acl.allow(resource_type::topic, "op", acl_operation::write, security::pattern_type::prefixed);
  const auto idempotent = init_producer_id(std::nullopt);
  EXPECT_EQ(idempotent.error_code, 0);
  EXPECT_GE(idempotent.producer_id, 0);
  acl.allow(resource_type::transactional_id, "tx", acl_operation::write);
  EXPECT_EQ(init_producer_id("tx").error_code, 0);
}

TEST_F(authorization_data_test, a_deny_beats_an_allow) {
  acl.allow(resource_type::topic, "*", acl_operation::all);
  acl.deny(resource_type::topic, "secret", acl_operation::write);
  EXPECT_EQ(produce(services(), "open", 0, make_batch(1)).error_code, 0);
  EXPECT_EQ(produce(services(), "secret", 0, make_batch(1)).error_code, code(error_code::topic_authorization_failed));
}

TEST(authorization_super_user, may_do_everything_without_acls) {
  security::authorizer_config config;
  config.super_users = {std::string(security::anonymous_principal)};
  authorized_broker acl(config);
  acl.services().create_topic("t", 1);
  EXPECT_EQ(produce(acl.services(), "t", 0, make_batch(1)).error_code, 0);
  EXPECT_EQ(fetch_one(acl.services(), "t", 0, 0).error_code, 0);
}

}  // namespace
}  // namespace spate::broker
