// CreatePartitions, DeleteRecords, DescribeLogDirs and DescribeCluster through the dispatcher.
#include <gtest/gtest.h>

#include "admin_test_support.h"
#include "broker/authorized_operations.h"
#include "broker/handlers/create_partitions.h"
#include "broker/handlers/delete_records.h"
#include "broker/handlers/describe_cluster.h"
#include "broker/handlers/describe_log_dirs.h"
#include "model/record_batch_builder.h"
#include "protocol/messages/create_partitions.h"
#include "protocol/messages/delete_records.h"
#include "protocol/messages/describe_cluster.h"
#include "protocol/messages/describe_log_dirs.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

class admin_partitions_test : public ::testing::Test {
 protected:
  // Appends `n` one-record batches and makes them durable (the high watermark moves).
  void produce(const std::string& topic, std::int32_t partition, int n) {
    auto log = services.logs().get(topic, partition);
    ASSERT_TRUE(log);
    for (int i = 0; i < n; ++i) {
      model::record_batch_builder builder;
      const std::string value = "record-" + std::to_string(i);
      builder.append(1700000000000, std::nullopt,
                     base::byte_span(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
      auto batch = builder.build();
      ASSERT_TRUE(log->append(batch));
    }
    ASSERT_TRUE(log->flush());
  }

  protocol::create_partitions_response grow(const std::string& topic, std::int32_t count, std::int16_t version = 3,
                                            bool validate_only = false,
                                            std::optional<std::vector<std::vector<std::int32_t>>> assignments =
                                                std::nullopt) {
    protocol::create_partitions_request request;
    auto& t = request.topics.emplace_back();
    t.name = topic;
    t.count = count;
    if (assignments) {
      t.assignments.emplace();
      for (auto& ids : *assignments) t.assignments->push_back({.broker_ids = ids});
    } else {
      t.assignments = std::nullopt;
    }
    request.validate_only = validate_only;
    return ask<protocol::create_partitions_response>(services, request, version);
  }

  protocol::delete_records_response delete_records(const std::string& topic, std::int32_t partition,
                                                   std::int64_t offset, std::int16_t version = 2) {
    protocol::delete_records_request request;
    auto& t = request.topics.emplace_back();
    t.name = topic;
    t.partitions.push_back({.partition_index = partition, .offset = offset});
    request.timeout_ms = 1000;
    return ask<protocol::delete_records_response>(services, request, version);
  }

  test_broker services;
};

TEST_F(admin_partitions_test, every_create_partitions_version_grows_the_topic) {
  services.create_topic("grow", 1);
  for (std::int16_t v = create_partitions_handler::min_version; v <= create_partitions_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto response = grow("grow", v + 2, v);
    ASSERT_EQ(response.results.size(), 1u);
    EXPECT_EQ(response.results[0].name, "grow");
    EXPECT_EQ(response.results[0].error_code, 0);
    EXPECT_EQ(response.results[0].error_message, std::nullopt);
    EXPECT_EQ(services.logs().find_topic("grow")->partitions, v + 2);
    EXPECT_TRUE(services.logs().get("grow", v + 1));
  }
}

TEST_F(admin_partitions_test, create_partitions_refuses_what_is_not_an_increase) {
  services.create_topic("grow", 3);
  EXPECT_EQ(grow("grow", 3).results[0].error_code, code(error_code::invalid_partitions));
  EXPECT_EQ(grow("grow", 2).results[0].error_code, code(error_code::invalid_partitions));
  EXPECT_EQ(grow("absent", 2).results[0].error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(grow("grow", 5, 3, false, std::vector<std::vector<std::int32_t>>{{7}}).results[0].error_code,
            code(error_code::invalid_replica_assignment));
  EXPECT_EQ(grow("grow", 4, 3, false, std::vector<std::vector<std::int32_t>>{{8}}).results[0].error_code,
            code(error_code::invalid_replica_assignment));
  EXPECT_EQ(services.logs().find_topic("grow")->partitions, 3);
}

TEST_F(admin_partitions_test, validate_only_does_not_grow_and_assignments_to_this_broker_do) {
  services.create_topic("grow", 1);
  EXPECT_EQ(grow("grow", 4, 3, true).results[0].error_code, 0);
  EXPECT_EQ(services.logs().find_topic("grow")->partitions, 1);
  EXPECT_EQ(grow("grow", 3, 3, false, std::vector<std::vector<std::int32_t>>{{7}, {7}}).results[0].error_code, 0);
  EXPECT_EQ(services.logs().find_topic("grow")->partitions, 3);
}

TEST_F(admin_partitions_test, every_delete_records_version_moves_the_log_start_offset) {
  services.create_topic("trim", 2);
  produce("trim", 0, 10);
  for (std::int16_t v = delete_records_handler::min_version; v <= delete_records_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto response = delete_records("trim", 0, v + 2, v);
    ASSERT_EQ(response.topics.size(), 1u);
    ASSERT_EQ(response.topics[0].partitions.size(), 1u);
    EXPECT_EQ(response.topics[0].partitions[0].error_code, 0);
    EXPECT_EQ(response.topics[0].partitions[0].low_watermark, v + 2);
    EXPECT_EQ(services.logs().get("trim", 0)->log_start_offset(), v + 2);
  }
}

TEST_F(admin_partitions_test, delete_records_to_minus_one_means_the_high_watermark_and_beyond_it_is_out_of_range) {
  services.create_topic("trim", 2);
  produce("trim", 0, 10);
  EXPECT_EQ(delete_records("trim", 0, 5).topics[0].partitions[0].low_watermark, 5);
  // Below the current start: nothing moves.
  EXPECT_EQ(delete_records("trim", 0, 3).topics[0].partitions[0].low_watermark, 5);
  const auto beyond = delete_records("trim", 0, 11).topics[0].partitions[0];
  EXPECT_EQ(beyond.error_code, code(error_code::offset_out_of_range));
  EXPECT_EQ(beyond.low_watermark, -1);
  EXPECT_EQ(delete_records("trim", 0, -5).topics[0].partitions[0].error_code, code(error_code::offset_out_of_range));
  EXPECT_EQ(delete_records("trim", 0, -1).topics[0].partitions[0].low_watermark, 10);
  EXPECT_EQ(services.logs().get("trim", 0)->log_start_offset(), 10);
  EXPECT_EQ(services.logs().get("trim", 1)->log_start_offset(), 0);
  EXPECT_EQ(delete_records("trim", 7, 1).topics[0].partitions[0].error_code,
            code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(delete_records("absent", 0, 1).topics[0].partitions[0].error_code,
            code(error_code::unknown_topic_or_partition));
}

TEST_F(admin_partitions_test, every_describe_log_dirs_version_reports_partition_sizes) {
  services.create_topic("sized", 2);
  services.create_topic("other", 1);
  produce("sized", 1, 20);
  const auto expected_size = static_cast<std::int64_t>(services.logs().get("sized", 1)->size_bytes());
  ASSERT_GT(expected_size, 0);
  for (std::int16_t v = describe_log_dirs_handler::min_version; v <= describe_log_dirs_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    protocol::describe_log_dirs_request request;
    request.topics = std::nullopt;
    const auto response = ask<protocol::describe_log_dirs_response>(services, request, v);
    EXPECT_EQ(response.error_code, 0);
    ASSERT_EQ(response.results.size(), 1u);
    const auto& dir = response.results[0];
    EXPECT_EQ(dir.error_code, 0);
    EXPECT_EQ(std::filesystem::path(dir.log_dir), std::filesystem::absolute(services.logs().data_dir()));
    std::map<std::string, std::map<std::int32_t, std::int64_t>> sizes;
    for (const auto& t : dir.topics) {
      for (const auto& p : t.partitions) {
        sizes[t.name][p.partition_index] = p.partition_size;
        EXPECT_EQ(p.offset_lag, 0);
        EXPECT_FALSE(p.is_future_key);
      }
    }
    EXPECT_EQ(sizes["sized"], (std::map<std::int32_t, std::int64_t>{{0, 0}, {1, expected_size}}));
    EXPECT_EQ(sizes["other"], (std::map<std::int32_t, std::int64_t>{{0, 0}}));
    if (v >= 4) {
      EXPECT_GT(dir.total_bytes, 0);
      EXPECT_GE(dir.usable_bytes, 0);
      EXPECT_LE(dir.usable_bytes, dir.total_bytes);
    }
  }
}

TEST_F(admin_partitions_test, describe_log_dirs_reports_only_the_partitions_asked_for) {
  services.create_topic("sized", 3);
  protocol::describe_log_dirs_request request;
  request.topics.emplace();
  request.topics->push_back({.topic = "sized", .partitions = {2}});
  request.topics->push_back({.topic = "absent", .partitions = {0}});
  const auto response = ask<protocol::describe_log_dirs_response>(services, request, 4);
  ASSERT_EQ(response.results[0].topics.size(), 1u);
  EXPECT_EQ(response.results[0].topics[0].name, "sized");
  ASSERT_EQ(response.results[0].topics[0].partitions.size(), 1u);
  EXPECT_EQ(response.results[0].topics[0].partitions[0].partition_index, 2);
}

TEST_F(admin_partitions_test, every_describe_cluster_version_describes_this_broker) {
  for (std::int16_t v = describe_cluster_handler::min_version; v <= describe_cluster_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    protocol::describe_cluster_request request;
    request.include_cluster_authorized_operations = true;
    const auto response = ask<protocol::describe_cluster_response>(services, request, v);
    EXPECT_EQ(response.error_code, 0);
    EXPECT_EQ(response.cluster_id, "AAAAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(response.controller_id, 7);
    ASSERT_EQ(response.brokers.size(), 1u);
    EXPECT_EQ(response.brokers[0].broker_id, 7);
    EXPECT_EQ(response.brokers[0].host, "broker.test");
    EXPECT_EQ(response.brokers[0].port, 19092);
    EXPECT_EQ(response.brokers[0].rack, std::nullopt);
    EXPECT_EQ(response.cluster_authorized_operations, all_cluster_operations);
  }
  protocol::describe_cluster_request request;
  EXPECT_EQ(ask<protocol::describe_cluster_response>(services, request, 0).cluster_authorized_operations,
            authorized_operations_omitted);
}

TEST_F(admin_partitions_test, describe_cluster_v1_refuses_controller_endpoints) {
  protocol::describe_cluster_request request;
  request.endpoint_type = 2;
  EXPECT_EQ(ask<protocol::describe_cluster_response>(services, request, 1).error_code,
            code(error_code::mismatched_endpoint_type));
  request.endpoint_type = 9;
  EXPECT_EQ(ask<protocol::describe_cluster_response>(services, request, 1).error_code,
            code(error_code::unsupported_endpoint_type));
}

}  // namespace
}  // namespace spate::broker
