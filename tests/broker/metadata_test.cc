#include <gtest/gtest.h>

#include "broker/authorized_operations.h"
#include "broker/handlers/metadata.h"
#include "broker_test_support.h"
#include "protocol/error_code.h"
#include "protocol/messages/metadata.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;
using protocol::metadata_request;
using protocol::metadata_response;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

class metadata_test : public ::testing::Test {
 protected:
  metadata_test() {
    services.create_topic("orders", 3);
    services.create_topic("events", 1);
  }

  metadata_response ask(const metadata_request& request, std::int16_t version) {
    return read_response<metadata_response>(*dispatch(services, request_frame(request, version)), version);
  }

  static metadata_request for_topics(std::initializer_list<const char*> names) {
    metadata_request request;
    request.topics.emplace();
    for (const auto* name : names) request.topics->emplace_back().name = name;
    return request;
  }

  test_broker services;
};

TEST_F(metadata_test, every_version_describes_this_broker_and_all_topics) {
  for (std::int16_t v = metadata_handler::min_version; v <= metadata_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    metadata_request request;
    // v0 asks for all topics with an empty list, later versions with a null one.
    if (v == 0) {
      request.topics.emplace();
    } else {
      request.topics = std::nullopt;
    }
    const auto response = ask(request, v);
    ASSERT_EQ(response.brokers.size(), 1u);
    EXPECT_EQ(response.brokers[0].node_id, 7);
    EXPECT_EQ(response.brokers[0].host, "broker.test");
    EXPECT_EQ(response.brokers[0].port, 19092);
    if (v >= 1) {
      EXPECT_EQ(response.controller_id, 7);
    }
    if (v >= 2) {
      EXPECT_EQ(response.cluster_id, "AAAAAAAAAAAAAAAAAAAAAA");
    }
    ASSERT_EQ(response.topics.size(), 2u);
    EXPECT_EQ(response.topics[0].name, "events");
    EXPECT_EQ(response.topics[1].name, "orders");
    const auto& orders = response.topics[1];
    EXPECT_EQ(orders.error_code, 0);
    ASSERT_EQ(orders.partitions.size(), 3u);
    for (std::int32_t p = 0; p < 3; ++p) {
      const auto& partition = orders.partitions[static_cast<std::size_t>(p)];
      EXPECT_EQ(partition.partition_index, p);
      EXPECT_EQ(partition.leader_id, 7);
      EXPECT_EQ(partition.replica_nodes, std::vector<std::int32_t>{7});
      EXPECT_EQ(partition.isr_nodes, std::vector<std::int32_t>{7});
      if (v >= 7) {
        EXPECT_EQ(partition.leader_epoch, 0);
      }
    }
    if (v >= 10) {
      EXPECT_EQ(orders.topic_id, services.logs().find_topic("orders")->id);
    }
  }
}

TEST_F(metadata_test, an_empty_list_from_v1_asks_for_no_topics) {
  metadata_request request;
  request.topics.emplace();
  EXPECT_TRUE(ask(request, 1).topics.empty());
  EXPECT_TRUE(ask(request, 12).topics.empty());
}

TEST_F(metadata_test, a_missing_topic_is_created_with_num_partitions) {
  const auto response = ask(for_topics({"fresh"}), 12);
  ASSERT_EQ(response.topics.size(), 1u);
  EXPECT_EQ(response.topics[0].error_code, 0);
  EXPECT_EQ(response.topics[0].partitions.size(), 2u);
  ASSERT_TRUE(services.logs().find_topic("fresh").has_value());
  EXPECT_EQ(services.logs().find_topic("fresh")->partitions, 2);
}

TEST_F(metadata_test, client_can_forbid_auto_creation_from_v4) {
  auto request = for_topics({"absent"});
  request.allow_auto_topic_creation = false;
  const auto response = ask(request, 4);
  EXPECT_EQ(response.topics[0].error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_FALSE(services.logs().find_topic("absent").has_value());
}

TEST(metadata, broker_can_forbid_auto_creation) {
  auto options = test_options();
  options.auto_create_topics = false;
  test_broker services(options);
  metadata_request request;
  request.topics.emplace();
  request.topics->emplace_back().name = "absent";
  const auto response = read_response<metadata_response>(*dispatch(services, request_frame(request, 9)), 9);
  EXPECT_EQ(response.topics[0].error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_FALSE(services.logs().find_topic("absent").has_value());
}

TEST_F(metadata_test, an_invalid_name_is_invalid_topic_exception) {
  const auto response = ask(for_topics({"no/slashes", ".."}), 9);
  ASSERT_EQ(response.topics.size(), 2u);
  for (const auto& topic : response.topics) EXPECT_EQ(topic.error_code, code(error_code::invalid_topic_exception));
  EXPECT_EQ(services.logs().list_topics().size(), 2u);
}

TEST_F(metadata_test, auto_creation_refuses_a_name_colliding_in_dots_and_underscores) {
  services.create_topic("a.b", 1);
  const auto response = ask(for_topics({"a_b"}), 12);
  EXPECT_EQ(response.topics[0].error_code, code(error_code::invalid_topic_exception));
  EXPECT_FALSE(services.logs().find_topic("a_b").has_value());
}

TEST_F(metadata_test, topics_can_be_asked_for_by_id_from_v10) {
  metadata_request request;
  request.topics.emplace();
  auto& by_id = request.topics->emplace_back();
  by_id.name = std::nullopt;
  by_id.topic_id = services.logs().find_topic("events")->id;
  auto response = ask(request, 12);
  ASSERT_EQ(response.topics.size(), 1u);
  EXPECT_EQ(response.topics[0].name, "events");

  by_id.topic_id.value[0] ^= 0xff;
  response = ask(request, 12);
  EXPECT_EQ(response.topics[0].error_code, code(error_code::unknown_topic_id));
  EXPECT_EQ(response.topics[0].name, std::nullopt);
  response = ask(request, 10);  // names are not nullable before v12
  EXPECT_EQ(response.topics[0].error_code, code(error_code::unknown_topic_id));
  EXPECT_EQ(response.topics[0].name, "");
}

TEST_F(metadata_test, authorized_operations_are_reported_only_when_asked) {
  auto request = for_topics({"orders"});
  EXPECT_EQ(ask(request, 8).topics[0].topic_authorized_operations, authorized_operations_omitted);
  request.include_topic_authorized_operations = true;
  request.include_cluster_authorized_operations = true;
  const auto response = ask(request, 8);
  EXPECT_EQ(response.topics[0].topic_authorized_operations, all_topic_operations);
  EXPECT_EQ(response.cluster_authorized_operations, all_cluster_operations);
}

}  // namespace
}  // namespace spate::broker
