// AlterClientQuotas / DescribeClientQuotas through the dispatcher, and the quotas' effect on
// Produce and CreateTopics (client id "broker-test", the test requests' header).
#include <gtest/gtest.h>

#include <string>

#include "broker/dispatcher.h"
#include "data_path_support.h"
#include "protocol/error_code.h"
#include "protocol/messages/alter_client_quotas.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/describe_client_quotas.h"
#include "quota/client_quotas.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

struct quota_broker {
  quota_broker() : services(options()) { services.create_topic("t", 1); }
  broker_options options() {
    auto o = test_options();
    o.client_quotas = &quotas;
    o.save_client_quotas = [this](const std::string& json) {
      ++saves;
      saved = json;
      return save_succeeds;
    };
    return o;
  }
  quota::client_quotas quotas;
  int saves = 0;
  std::string saved;
  bool save_succeeds = true;
  test_broker services;
};

protocol::alter_client_quotas_response alter(broker& services, const std::string& type, std::optional<std::string> name,
                                             const std::string& key, double value, bool remove = false,
                                             bool validate_only = false, std::int16_t v = 1) {
  protocol::alter_client_quotas_request req;
  auto& entry = req.entries.emplace_back();
  auto& e = entry.entity.emplace_back();
  e.entity_type = type;
  e.entity_name = std::move(name);
  auto& op = entry.ops.emplace_back();
  op.key = key;
  op.value = value;
  op.remove = remove;
  req.validate_only = validate_only;
  return read_response<protocol::alter_client_quotas_response>(*dispatch(services, request_frame(req, v)), v);
}

protocol::describe_client_quotas_response describe(broker& services, std::int8_t match_type, std::string match,
                                                   std::int16_t v = 1) {
  protocol::describe_client_quotas_request req;
  auto& c = req.components.emplace_back();
  c.entity_type = "client-id";
  c.match_type = match_type;
  c.match = std::move(match);
  return read_response<protocol::describe_client_quotas_response>(*dispatch(services, request_frame(req, v)), v);
}

TEST(client_quota_apis, alter_persists_and_describe_returns_what_was_set_in_every_version) {
  quota_broker b;
  for (std::int16_t v : {0, 1}) {
    SCOPED_TRACE(v);
    const auto r = alter(b.services, "client-id", "app", "producer_byte_rate", 1024, false, false, v);
    ASSERT_EQ(r.entries.size(), 1U);
    EXPECT_EQ(r.entries[0].error_code, 0);
    EXPECT_EQ(r.entries[0].entity[0].entity_name, "app");
    const auto d = describe(b.services, 0, "app", v);
    EXPECT_EQ(d.error_code, 0);
    ASSERT_TRUE(d.entries && d.entries->size() == 1);
    EXPECT_EQ((*d.entries)[0].values[0].key, "producer_byte_rate");
    EXPECT_EQ((*d.entries)[0].values[0].value, 1024);
  }
  EXPECT_EQ(b.saves, 2);
  EXPECT_NE(b.saved.find("\"app\""), std::string::npos);
}

TEST(client_quota_apis, invalid_entries_are_invalid_request_and_validate_only_changes_nothing) {
  quota_broker b;
  EXPECT_EQ(alter(b.services, "client-id", "a", "bogus", 1).entries[0].error_code, code(error_code::invalid_request));
  EXPECT_EQ(alter(b.services, "group", "a", "producer_byte_rate", 1).entries[0].error_code,
            code(error_code::invalid_request));
  EXPECT_EQ(alter(b.services, "ip", "1.2.3.4", "producer_byte_rate", 1).entries[0].error_code,
            code(error_code::invalid_request));
  EXPECT_EQ(alter(b.services, "client-id", "a", "producer_byte_rate", -5).entries[0].error_code,
            code(error_code::invalid_request));
  EXPECT_EQ(alter(b.services, "client-id", "a", "producer_byte_rate", 5, false, true).entries[0].error_code, 0);
  EXPECT_TRUE(b.quotas.all().empty());
  EXPECT_EQ(b.saves, 0);
}

TEST(client_quota_apis, a_failed_write_is_reported_and_leaves_the_quotas_as_they_were) {
  quota_broker b;
  b.save_succeeds = false;
  EXPECT_EQ(alter(b.services, "client-id", "a", "producer_byte_rate", 5).entries[0].error_code,
            code(error_code::kafka_storage_error));
  EXPECT_TRUE(b.quotas.all().empty());
}

TEST(client_quota_apis, describe_refuses_unknown_types_and_matches_the_default) {
  quota_broker b;
  alter(b.services, "client-id", std::nullopt, "consumer_byte_rate", 10);
  const auto d = describe(b.services, 1, "");
  ASSERT_TRUE(d.entries && d.entries->size() == 1);
  EXPECT_FALSE((*d.entries)[0].entity[0].entity_name.has_value());
  protocol::describe_client_quotas_request req;
  req.components.push_back({"group", 2, std::nullopt, {}});
  const auto bad =
      read_response<protocol::describe_client_quotas_response>(*dispatch(b.services, request_frame(req, 1)), 1);
  EXPECT_EQ(bad.error_code, code(error_code::invalid_request));
}

TEST(client_quota_apis, produce_reports_the_throttle_of_a_client_over_its_byte_rate) {
  quota_broker b;
  alter(b.services, "client-id", "broker-test", "producer_byte_rate", 5);  // 50 bytes per 10 s window
  const auto batch = make_batch(3);
  ASSERT_GT(batch.size(), 50U);
  auto frame = dispatch(b.services, request_frame(produce_request_for("t", 0, batch), 9));
  const auto resp = read_response<protocol::produce_response>(*frame, 9);
  EXPECT_EQ(resp.responses[0].partition_responses[0].error_code, 0);  // accepted, then throttled
  EXPECT_GT(resp.throttle_time_ms, 0);
}

TEST(client_quota_apis, create_topics_over_the_mutation_rate_is_refused_from_v6_and_throttled_before) {
  quota_broker b;
  alter(b.services, "client-id", "broker-test", "controller_mutation_rate", 0.1);  // 1 partition per 10 s
  const auto create = [&b](const std::string& name, std::int16_t v) {
    protocol::create_topics_request req;
    req.timeout_ms = 10000;
    auto& t = req.topics.emplace_back();
    t.name = name;
    t.num_partitions = 2;
    t.replication_factor = 1;
    return read_response<protocol::create_topics_response>(*dispatch(b.services, request_frame(req, v)), v);
  };
  const auto first = create("a", 6);  // within the quota before it: created, then throttled
  EXPECT_EQ(first.topics[0].error_code, 0);
  EXPECT_GT(first.throttle_time_ms, 0);
  const auto second = create("b", 6);
  EXPECT_EQ(second.topics[0].error_code, code(error_code::throttling_quota_exceeded));
  EXPECT_FALSE(b.services.logs().find_topic("b").has_value());
  const auto old = create("c", 5);  // permissive before v6
  EXPECT_EQ(old.topics[0].error_code, 0);
}

}  // namespace
}  // namespace spate::broker
