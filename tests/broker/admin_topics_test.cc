#include <gtest/gtest.h>

#include "admin_test_support.h"
#include "broker/handlers/create_topics.h"
#include "broker/handlers/delete_topics.h"
#include "broker/handlers/metadata.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/delete_topics.h"
#include "protocol/messages/metadata.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::create_topics_request;
using protocol::create_topics_response;
using protocol::delete_topics_request;
using protocol::delete_topics_response;
using protocol::error_code;

create_topics_request::creatable_topic new_topic(std::string name, std::int32_t partitions = 3,
                                                 std::int16_t replication_factor = 1,
                                                 std::map<std::string, std::string> configs = {}) {
  create_topics_request::creatable_topic t;
  t.name = std::move(name);
  t.num_partitions = partitions;
  t.replication_factor = replication_factor;
  for (auto& [k, v] : configs) {
    create_topics_request::creatable_topic_config c;
    c.name = k;
    c.value = v;
    t.configs.push_back(std::move(c));
  }
  return t;
}

class admin_topics_test : public ::testing::Test {
 protected:
  create_topics_response create(std::vector<create_topics_request::creatable_topic> topics, std::int16_t version = 7,
                                bool validate_only = false) {
    create_topics_request request;
    request.topics = std::move(topics);
    request.validate_only = validate_only;
    return ask<create_topics_response>(services, request, version);
  }

  delete_topics_response remove(std::vector<std::string> names, std::int16_t version = 6) {
    delete_topics_request request;
    if (version >= 6) {
      for (auto& n : names) request.topics.push_back({.name = n});
    } else {
      request.topic_names = std::move(names);
    }
    request.timeout_ms = 1000;
    return ask<delete_topics_response>(services, request, version);
  }

  std::vector<std::string> listed_topics() {
    protocol::metadata_request request;
    request.topics = std::nullopt;
    std::vector<std::string> names;
    for (auto& t : ask<protocol::metadata_response>(services, request, 12).topics) names.push_back(*t.name);
    return names;
  }

  test_broker services;
};

TEST_F(admin_topics_test, every_create_topics_version_creates_a_topic) {
  for (std::int16_t v = create_topics_handler::min_version; v <= create_topics_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto name = "t" + std::to_string(v);
    const auto response = create({new_topic(name, 2)}, v);
    ASSERT_EQ(response.topics.size(), 1u);
    const auto& result = response.topics[0];
    EXPECT_EQ(result.name, name);
    EXPECT_EQ(result.error_code, 0);
    const auto info = services.logs().find_topic(name);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->partitions, 2);
    if (v >= 5) {
      EXPECT_EQ(result.num_partitions, 2);
      EXPECT_EQ(result.replication_factor, 1);
      ASSERT_TRUE(result.configs);
      EXPECT_FALSE(result.configs->empty());
    }
    if (v >= 7) {
      EXPECT_EQ(result.topic_id, info->id);
    }
  }
}

TEST_F(admin_topics_test, minus_one_partitions_and_replication_factor_use_the_broker_defaults) {
  const auto response = create({new_topic("defaults", -1, -1)});
  ASSERT_EQ(response.topics[0].error_code, 0);
  EXPECT_EQ(response.topics[0].num_partitions, 2);  // test_options().num_partitions
  EXPECT_EQ(response.topics[0].replication_factor, 1);
  EXPECT_EQ(services.logs().find_topic("defaults")->partitions, 2);
}

TEST_F(admin_topics_test, created_configs_are_stored_and_returned_with_their_source) {
  const auto response = create({new_topic("configured", 1, 1, {{"retention.ms", "3600000"}, {"cleanup.policy", "compact"}})});
  ASSERT_EQ(response.topics[0].error_code, 0);
  EXPECT_EQ(services.logs().find_topic("configured")->configs,
            (storage::config_overrides{{"cleanup.policy", "compact"}, {"retention.ms", "3600000"}}));
  std::map<std::string, std::pair<std::string, std::int8_t>> configs;
  for (const auto& c : *response.topics[0].configs) configs[c.name] = {c.value.value_or("<null>"), c.config_source};
  EXPECT_EQ(configs["retention.ms"], (std::pair<std::string, std::int8_t>{"3600000", 1}));
  EXPECT_EQ(configs["segment.bytes"], (std::pair<std::string, std::int8_t>{"1073741824", 5}));
  EXPECT_EQ(services.logs().topic_config("configured")->retention_ms, 3600000);
}

TEST_F(admin_topics_test, validate_only_checks_but_creates_nothing) {
  const auto response = create({new_topic("dry", 4)}, 7, true);
  EXPECT_EQ(response.topics[0].error_code, 0);
  EXPECT_EQ(response.topics[0].num_partitions, 4);
  EXPECT_FALSE(services.logs().find_topic("dry"));
  const auto bad = create({new_topic("dry", 4, 3)}, 7, true);
  EXPECT_EQ(bad.topics[0].error_code, code(error_code::invalid_replication_factor));
}

TEST_F(admin_topics_test, create_topics_refuses_as_kafka_does) {
  services.create_topic("exists", 1);
  create_topics_request::creatable_topic assigned_elsewhere = new_topic("assigned", -1, -1);
  assigned_elsewhere.assignments.push_back({.partition_index = 0, .broker_ids = {8}});
  create_topics_request::creatable_topic assigned_with_count = new_topic("assigned2", 1, -1);
  assigned_with_count.assignments.push_back({.partition_index = 0, .broker_ids = {7}});
  create_topics_request::creatable_topic null_config = new_topic("nullcfg");
  null_config.configs.push_back({.name = "retention.ms", .value = std::nullopt});
  const auto response = create({
      new_topic("exists"),
      new_topic("rf3", 1, 3),
      new_topic("rf0", 1, 0),
      new_topic("zero", 0),
      new_topic("bad/name"),
      new_topic("badcfg", 1, 1, {{"retention.ms", "soon"}}),
      new_topic("rangecfg", 1, 1, {{"segment.bytes", "1"}}),
      new_topic("unknowncfg", 1, 1, {{"no.such.config", "1"}}),
      assigned_elsewhere,
      assigned_with_count,
      null_config,
      new_topic("twice"),
      new_topic("twice"),
  });
  std::map<std::string, std::int16_t> errors;
  for (const auto& t : response.topics) {
    errors[t.name] = t.error_code;
    EXPECT_TRUE(t.error_message && !t.error_message->empty()) << t.name;
  }
  EXPECT_EQ(errors["exists"], code(error_code::topic_already_exists));
  EXPECT_EQ(errors["rf3"], code(error_code::invalid_replication_factor));
  EXPECT_EQ(errors["rf0"], code(error_code::invalid_replication_factor));
  EXPECT_EQ(errors["zero"], code(error_code::invalid_partitions));
  EXPECT_EQ(errors["bad/name"], code(error_code::invalid_topic_exception));
  EXPECT_EQ(errors["badcfg"], code(error_code::invalid_config));
  EXPECT_EQ(errors["rangecfg"], code(error_code::invalid_config));
  EXPECT_EQ(errors["unknowncfg"], code(error_code::invalid_config));
  EXPECT_EQ(errors["assigned"], code(error_code::invalid_replica_assignment));
  EXPECT_EQ(errors["assigned2"], code(error_code::invalid_request));
  EXPECT_EQ(errors["nullcfg"], code(error_code::invalid_request));
  EXPECT_EQ(errors["twice"], code(error_code::invalid_request));
  EXPECT_EQ(listed_topics(), std::vector<std::string>{"exists"});
  const auto& rf3 = response.topics[1];
  EXPECT_NE(rf3.error_message->find("only 1 broker"), std::string::npos) << *rf3.error_message;
  const auto& badcfg = response.topics[5];
  EXPECT_EQ(*badcfg.error_message, "Invalid value soon for configuration retention.ms: Not a number of type LONG");
}

TEST_F(admin_topics_test, names_differing_only_in_dot_and_underscore_collide) {
  services.create_topic("a.b", 1);
  const auto response = create({new_topic("a_b")});
  EXPECT_EQ(response.topics[0].error_code, code(error_code::invalid_topic_exception));
  EXPECT_EQ(response.topics[0].error_message, "Topic 'a_b' collides with existing topic: a.b");
}

TEST_F(admin_topics_test, a_manual_assignment_to_this_broker_is_accepted) {
  auto topic = new_topic("manual", -1, -1);
  for (std::int32_t p = 0; p < 3; ++p) topic.assignments.push_back({.partition_index = p, .broker_ids = {7}});
  const auto response = create({topic});
  EXPECT_EQ(response.topics[0].error_code, 0);
  EXPECT_EQ(services.logs().find_topic("manual")->partitions, 3);
}

TEST_F(admin_topics_test, every_delete_topics_version_deletes_and_metadata_no_longer_lists_it) {
  for (std::int16_t v = delete_topics_handler::min_version; v <= delete_topics_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto name = "d" + std::to_string(v);
    services.create_topic(name, 2);
    const auto response = remove({name}, v);
    ASSERT_EQ(response.responses.size(), 1u);
    EXPECT_EQ(response.responses[0].name, name);
    EXPECT_EQ(response.responses[0].error_code, 0);
    EXPECT_FALSE(services.logs().find_topic(name));
    EXPECT_TRUE(listed_topics().empty());
  }
}

TEST_F(admin_topics_test, deleting_an_unknown_topic_is_unknown_topic_or_partition) {
  for (std::int16_t v : {0, 5, 6}) {
    const auto response = remove({"absent"}, v);
    EXPECT_EQ(response.responses[0].error_code, code(error_code::unknown_topic_or_partition));
  }
}

TEST_F(admin_topics_test, v6_deletes_by_topic_id_and_reports_unknown_ids) {
  services.create_topic("by-id", 1);
  const auto id = services.logs().find_topic("by-id")->id;
  delete_topics_request request;
  request.topics.push_back({.name = std::nullopt, .topic_id = id});
  protocol::uuid unknown;
  unknown.value[0] = 1;
  request.topics.push_back({.name = std::nullopt, .topic_id = unknown});
  const auto response = ask<delete_topics_response>(services, request, 6);
  ASSERT_EQ(response.responses.size(), 2u);
  EXPECT_EQ(response.responses[0].error_code, 0);
  EXPECT_EQ(response.responses[0].name, "by-id");
  EXPECT_EQ(response.responses[1].error_code, code(error_code::unknown_topic_id));
  EXPECT_FALSE(response.responses[1].name);
  EXPECT_FALSE(services.logs().find_topic("by-id"));
}

TEST_F(admin_topics_test, internal_topics_are_not_deleted) {
  services.create_topic("__consumer_offsets", 1);
  const auto response = remove({"__consumer_offsets"});
  EXPECT_EQ(response.responses[0].error_code, code(error_code::invalid_topic_exception));
  EXPECT_TRUE(services.logs().find_topic("__consumer_offsets"));
}

TEST_F(admin_topics_test, a_deleted_name_can_be_created_again) {
  ASSERT_EQ(create({new_topic("again", 1)}).topics[0].error_code, 0);
  ASSERT_EQ(remove({"again"}).responses[0].error_code, 0);
  const auto response = create({new_topic("again", 4)});
  EXPECT_EQ(response.topics[0].error_code, 0);
  EXPECT_EQ(services.logs().find_topic("again")->partitions, 4);
}

}  // namespace
}  // namespace spate::broker
