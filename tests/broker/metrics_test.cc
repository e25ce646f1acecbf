// The broker's recording into metrics: error codes of responses by API, and produce/fetch traffic
// on the partition logs.
#include <gtest/gtest.h>

#include "data_path_support.h"
#include "metrics/broker_metrics.h"
#include "protocol/api_key.h"
#include "protocol/error_code.h"

namespace spate::broker {
namespace {

using namespace testing;

class metrics_test : public ::testing::Test {
 protected:
  static broker_options options_with(metrics::request_metrics* m) {
    auto options = test_options();
    options.metrics = m;
    return options;
  }
  metrics_test() : services(options_with(&recorded.requests())) { services.create_topic("t", 2); }

  std::uint64_t errors(std::string_view api, std::string_view error) {
    return registry.get(metrics::names::request_errors_total).counter_for({api, error}).value();
  }

  metrics::registry registry;
  metrics::broker_metrics recorded{
      registry,
      {[](std::int16_t key) { return std::string(protocol::api_name(static_cast<protocol::api_key>(key))); },
       [](std::int16_t code) { return std::string(protocol::error_name(static_cast<protocol::error_code>(code))); }}};
  test_broker services;
};

TEST_F(metrics_test, produce_counts_bytes_and_records_in_and_per_partition_errors) {
  const auto batch = make_batch(3);
  EXPECT_EQ(produce(services, "t", 0, batch).error_code, 0);
  EXPECT_NE(produce(services, "t", 7, make_batch(1)).error_code, 0);
  auto& traffic = services.logs().get("t", 0)->traffic();
  EXPECT_EQ(traffic.records_in.load(), 3u);
  EXPECT_EQ(traffic.bytes_in.load(), batch.size());
  EXPECT_EQ(errors("Produce", "UNKNOWN_TOPIC_OR_PARTITION"), 1u);
}

TEST_F(metrics_test, fetch_counts_the_batches_it_returns_and_per_partition_errors) {
  ASSERT_EQ(produce(services, "t", 1, make_batch(4)).error_code, 0);
  ASSERT_EQ(produce(services, "t", 1, make_batch(2)).error_code, 0);
  const auto part = fetch_one(services, "t", 1, 0);
  ASSERT_EQ(part.error_code, 0);
  auto& traffic = services.logs().get("t", 1)->traffic();
  EXPECT_EQ(traffic.records_out.load(), 6u);
  EXPECT_EQ(traffic.bytes_out.load(), part.records->size());
  EXPECT_EQ(fetch_one(services, "nope", 0, 0).error_code,
            static_cast<std::int16_t>(protocol::error_code::unknown_topic_or_partition));
  EXPECT_EQ(errors("Fetch", "UNKNOWN_TOPIC_OR_PARTITION"), 1u);
}

TEST_F(metrics_test, without_metrics_nothing_is_counted) {
  test_broker plain;
  plain.create_topic("t", 1);
  ASSERT_EQ(produce(plain, "t", 0, make_batch(2)).error_code, 0);
  EXPECT_EQ(plain.logs().get("t", 0)->traffic().records_in.load(), 0u);
}

}  // namespace
}  // namespace spate::broker
