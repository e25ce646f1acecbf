// ACL enforcement in the transaction and cluster-level APIs: each denied case answers Kafka's
// code and changes nothing; DescribeCluster's KIP-430 bits come from the authorizer.
#include <gtest/gtest.h>

#include "authorization_support.h"
#include "broker/authorized_operations.h"
#include "data_path_support.h"
#include "protocol/error_code.h"
#include "protocol/messages/add_partitions_to_txn.h"
#include "protocol/messages/delete_records.h"
#include "protocol/messages/describe_cluster.h"
#include "protocol/messages/describe_log_dirs.h"
#include "protocol/messages/describe_user_scram_credentials.h"
#include "protocol/messages/end_txn.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;
using security::acl_operation;
using security::resource_type;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

class authorization_cluster_test : public ::testing::Test {
 protected:
  authorization_cluster_test() { services().create_topic("orders", 1); }
  test_broker& services() { return acl.services(); }

  template <typename Response, typename Request>
  Response ask(const Request& request, std::int16_t version) {
    return read_response<Response>(*dispatch(services(), request_frame(request, version)), version);
  }
  void allow_cluster(acl_operation op) {
    acl.allow(resource_type::cluster, std::string(security::cluster_resource_name), op);
  }

  authorized_broker acl;
};

TEST_F(authorization_cluster_test, transaction_apis_need_write_on_the_transactional_id_then_the_topics) {
  protocol::add_partitions_to_txn_request add;
  add.v3_and_below_transactional_id = "tx";
  add.v3_and_below_producer_id = 1;
  add.v3_and_below_producer_epoch = 0;
  add.v3_and_below_topics.push_back({"orders", {0}, {}});
  add.v3_and_below_topics.push_back({"secret", {0}, {}});
  auto added = ask<protocol::add_partitions_to_txn_response>(add, 3);
  EXPECT_EQ(added.results_by_topic_v3_and_below.at(0).results_by_partition.at(0).partition_error_code,
            code(error_code::transactional_id_authorization_failed));

  acl.allow(resource_type::transactional_id, "tx", acl_operation::write);
  acl.allow(resource_type::topic, "orders", acl_operation::write);
  added = ask<protocol::add_partitions_to_txn_response>(add, 3);
  EXPECT_EQ(added.results_by_topic_v3_and_below.at(0).results_by_partition.at(0).partition_error_code,
            code(error_code::operation_not_attempted));
  EXPECT_EQ(added.results_by_topic_v3_and_below.at(1).results_by_partition.at(0).partition_error_code,
            code(error_code::topic_authorization_failed));

  protocol::end_txn_request end;
  end.transactional_id = "other";
  end.producer_id = 1;
  EXPECT_EQ(ask<protocol::end_txn_response>(end, 3).error_code,
            code(error_code::transactional_id_authorization_failed));
}

TEST_F(authorization_cluster_test, delete_records_needs_delete_on_the_topic) {
  acl.allow(resource_type::topic, "orders", acl_operation::write);
  ASSERT_EQ(produce(services(), "orders", 0, make_batch(3)).error_code, 0);
  protocol::delete_records_request del;
  auto& t = del.topics.emplace_back();
  t.name = "orders";
  t.partitions.push_back({0, 2, {}});
  EXPECT_EQ(ask<protocol::delete_records_response>(del, 2).topics.at(0).partitions.at(0).error_code,
            code(error_code::topic_authorization_failed));
  EXPECT_EQ(services().logs().get("orders", 0)->log_start_offset(), 0);

  acl.allow(resource_type::topic, "orders", acl_operation::remove);
  EXPECT_EQ(ask<protocol::delete_records_response>(del, 2).topics.at(0).partitions.at(0).error_code, 0);
  EXPECT_EQ(services().logs().get("orders", 0)->log_start_offset(), 2);
}

TEST_F(authorization_cluster_test, cluster_apis_need_describe_on_the_cluster) {
  protocol::describe_log_dirs_request dirs;
  dirs.topics = std::nullopt;
  const auto denied_dirs = ask<protocol::describe_log_dirs_response>(dirs, 4);
  EXPECT_EQ(denied_dirs.error_code, code(error_code::cluster_authorization_failed));
  EXPECT_TRUE(denied_dirs.results.empty());

  protocol::describe_user_scram_credentials_request users;
  users.users = std::nullopt;
  EXPECT_EQ(ask<protocol::describe_user_scram_credentials_response>(users, 0).error_code,
            code(error_code::cluster_authorization_failed));

  protocol::describe_cluster_request cluster;
  cluster.include_cluster_authorized_operations = true;
  EXPECT_EQ(ask<protocol::describe_cluster_response>(cluster, 1).error_code, 0);
  EXPECT_EQ(ask<protocol::describe_cluster_response>(cluster, 1).cluster_authorized_operations, 0);

  allow_cluster(acl_operation::describe);
  allow_cluster(acl_operation::alter_configs);
  EXPECT_EQ(ask<protocol::describe_log_dirs_response>(dirs, 4).error_code, 0);
  EXPECT_EQ(ask<protocol::describe_cluster_response>(cluster, 1).cluster_authorized_operations,
            operation_bits({acl_operation::describe, acl_operation::alter_configs, acl_operation::describe_configs}));
}

}  // namespace
}  // namespace spate::broker
