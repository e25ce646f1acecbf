#include <set>

#include <gtest/gtest.h>

#include "admin_test_support.h"
#include "broker/handlers/describe_configs.h"
#include "broker/topic_config_catalogue.h"
#include "protocol/messages/describe_configs.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::describe_configs_request;
using protocol::describe_configs_response;
using protocol::error_code;

constexpr std::int8_t topic_type = 2;
constexpr std::int8_t broker_type = 4;

class configs_test : public ::testing::Test {
 protected:
  configs_test() {
    services.create_topic("plain", 1);
    if (!services.logs().create_topic("tuned", 1, {{"retention.ms", "3600000"}, {"cleanup.policy", "compact"}})) {
      throw std::runtime_error("create tuned");
    }
  }

  describe_configs_response describe(std::int8_t type, std::string name, std::int16_t version = 4,
                                     bool synonyms = false, bool documentation = false,
                                     std::optional<std::vector<std::string>> keys = std::nullopt) {
    describe_configs_request request;
    request.resources.push_back({.resource_type = type, .resource_name = std::move(name), .configuration_keys = keys});
    request.include_synonyms = synonyms;
    request.include_documentation = documentation;
    return ask<describe_configs_response>(services, request, version);
  }

  static std::map<std::string, describe_configs_response::describe_configs_resource_result> by_name(
      const describe_configs_response& response) {
    std::map<std::string, describe_configs_response::describe_configs_resource_result> out;
    for (const auto& c : response.results.at(0).configs) out[c.name] = c;
    return out;
  }

  test_broker services;
};

TEST_F(configs_test, every_version_describes_overrides_as_topic_config_and_the_rest_as_defaults) {
  for (std::int16_t v = describe_configs_handler::min_version; v <= describe_configs_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto response = describe(topic_type, "tuned", v);
    ASSERT_EQ(response.results.size(), 1u);
    EXPECT_EQ(response.results[0].error_code, 0);
    EXPECT_EQ(response.results[0].resource_name, "tuned");
    auto configs = by_name(response);
    EXPECT_EQ(configs.size(), storage::topic_config_table().size());
    EXPECT_EQ(configs["retention.ms"].value, "3600000");
    EXPECT_EQ(configs["cleanup.policy"].value, "compact");
    EXPECT_EQ(configs["segment.bytes"].value, "1073741824");
    EXPECT_EQ(configs["max.message.bytes"].value, "1048588");
    EXPECT_EQ(configs["message.timestamp.type"].value, "CreateTime");
    if (v == 0) {
      EXPECT_FALSE(configs["retention.ms"].is_default);
      EXPECT_TRUE(configs["segment.bytes"].is_default);
    } else {
      EXPECT_EQ(configs["retention.ms"].config_source, 1);  // TOPIC_CONFIG
      EXPECT_EQ(configs["segment.bytes"].config_source, 5);  // DEFAULT_CONFIG
    }
    if (v >= 3) {
      EXPECT_EQ(configs["retention.ms"].config_type, 5);    // LONG
      EXPECT_EQ(configs["cleanup.policy"].config_type, 7);  // LIST
      EXPECT_EQ(configs["retention.ms"].documentation, std::nullopt);
    }
  }
}

TEST_F(configs_test, synonyms_list_the_override_then_the_broker_default) {
  const auto configs = by_name(describe(topic_type, "tuned", 1, true));
  const auto& synonyms = configs.at("retention.ms").synonyms;
  ASSERT_EQ(synonyms.size(), 2u);
  EXPECT_EQ(synonyms[0].name, "retention.ms");
  EXPECT_EQ(synonyms[0].value, "3600000");
  EXPECT_EQ(synonyms[0].source, 1);
  EXPECT_EQ(synonyms[1].name, "log.retention.ms");
  EXPECT_EQ(synonyms[1].value, "604800000");
  EXPECT_EQ(synonyms[1].source, 5);
  EXPECT_TRUE(by_name(describe(topic_type, "tuned", 1, false)).at("retention.ms").synonyms.empty());
}

TEST_F(configs_test, documentation_is_included_when_asked) {
  const auto configs = by_name(describe(topic_type, "plain", 3, false, true));
  ASSERT_TRUE(configs.at("retention.ms").documentation);
  EXPECT_FALSE(configs.at("retention.ms").documentation->empty());
}

TEST_F(configs_test, configuration_keys_select_configs) {
  const auto configs = by_name(describe(topic_type, "plain", 4, false, false,
                                        std::vector<std::string>{"retention.ms", "no.such.config"}));
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs.begin()->first, "retention.ms");
}

TEST_F(configs_test, unknown_and_invalid_topics_are_errors) {
  auto response = describe(topic_type, "absent");
  EXPECT_EQ(response.results[0].error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_TRUE(response.results[0].configs.empty());
  response = describe(topic_type, "bad/name");
  EXPECT_EQ(response.results[0].error_code, code(error_code::invalid_topic_exception));
}

TEST_F(configs_test, this_broker_describes_its_settings_read_only) {
  const auto response = describe(broker_type, "7", 4, true);
  EXPECT_EQ(response.results[0].error_code, 0);
  auto configs = by_name(response);
  EXPECT_EQ(configs["node.id"].value, "7");
  EXPECT_EQ(configs["node.id"].config_source, 4);  // STATIC_BROKER_CONFIG: not the built-in 1
  EXPECT_EQ(configs["num.partitions"].value, "2");
  EXPECT_EQ(configs["log.retention.ms"].value, "604800000");
  EXPECT_EQ(configs["log.retention.ms"].config_source, 5);
  EXPECT_EQ(configs["message.max.bytes"].value, "1048588");
  EXPECT_EQ(configs["log.flush.interval.messages"].value, "1");
  for (const auto& [name, c] : configs) EXPECT_TRUE(c.read_only) << name;
}

TEST_F(configs_test, another_broker_id_is_an_invalid_request_and_the_empty_name_has_no_dynamic_defaults) {
  EXPECT_EQ(describe(broker_type, "8").results[0].error_code, code(error_code::invalid_request));
  EXPECT_EQ(describe(broker_type, "eight").results[0].error_code, code(error_code::invalid_request));
  const auto defaults = describe(broker_type, "");
  EXPECT_EQ(defaults.results[0].error_code, 0);
  EXPECT_TRUE(defaults.results[0].configs.empty());
  EXPECT_EQ(describe(16, "x").results[0].error_code, code(error_code::invalid_request));
}

TEST(topic_config_catalogue_test, checks_values_as_kafka_does) {
  EXPECT_EQ(check_topic_config("retention.ms", "-1"), std::nullopt);
  EXPECT_EQ(check_topic_config("retention.ms", "x"),
            "Invalid value x for configuration retention.ms: Not a number of type LONG");
  EXPECT_EQ(check_topic_config("segment.bytes", "13"),
            "Invalid value 13 for configuration segment.bytes: Value must be at least 14");
  EXPECT_EQ(check_topic_config("segment.bytes", "4294967296"),
            "Invalid value 4294967296 for configuration segment.bytes: Value must be no more than 2147483647");
  EXPECT_EQ(check_topic_config("cleanup.policy", "compact,delete"), std::nullopt);
  EXPECT_NE(check_topic_config("cleanup.policy", "shred"), std::nullopt);
  EXPECT_EQ(check_topic_config("min.insync.replicas", "1"), std::nullopt);
  EXPECT_EQ(check_topic_config("unclean.leader.election.enable", "TRUE"), std::nullopt);
  EXPECT_NE(check_topic_config("preallocate", "yes"), std::nullopt);
  EXPECT_EQ(check_topic_config("min.cleanable.dirty.ratio", "0.2"), std::nullopt);
  EXPECT_NE(check_topic_config("min.cleanable.dirty.ratio", "1.5"), std::nullopt);
  EXPECT_NE(check_topic_config("compression.type", "brotli"), std::nullopt);
  EXPECT_NE(check_topic_config("remote.storage.enable", "true"), std::nullopt);
  EXPECT_EQ(check_topic_config("no.such.config", "1"), "Unknown topic config name: no.such.config");
}

TEST(topic_config_catalogue_test, broker_settings_become_static_broker_config_defaults) {
  storage::log_config defaults;
  defaults.retention_ms = 1000;
  const auto configs = describe_topic_configs({}, defaults);
  const auto it = std::find_if(configs.begin(), configs.end(), [](const auto& c) { return c.name == "retention.ms"; });
  ASSERT_NE(it, configs.end());
  EXPECT_EQ(it->value, "1000");
  EXPECT_EQ(it->source, config_source::static_broker);
  ASSERT_EQ(it->synonyms.size(), 2u);
  EXPECT_EQ(it->synonyms[0].name, "log.retention.ms");
  EXPECT_EQ(it->synonyms[1].value, "604800000");
}

TEST(topic_config_catalogue_test, every_config_storage_honours_is_in_the_catalogue) {
  for (const auto* name : {"segment.bytes", "segment.ms", "retention.ms", "retention.bytes", "cleanup.policy",
                           "max.message.bytes", "message.timestamp.type", "flush.messages", "flush.ms",
                           "index.interval.bytes", "segment.index.bytes"}) {
    const auto* row = storage::find_topic_config(name);
    ASSERT_NE(row, nullptr) << name;
    EXPECT_TRUE(row->storage_acts_on_it()) << name;
  }
}

TEST(topic_config_catalogue_test, every_row_accepts_its_own_default_and_broker_names_are_unique) {
  std::set<std::string_view> broker_names;
  for (const auto& row : storage::topic_config_table()) {
    EXPECT_EQ(check_topic_config(row.name, storage::built_in_default(row)), std::nullopt) << row.name;
    if (!row.broker_name.empty()) {
      EXPECT_TRUE(broker_names.insert(row.broker_name).second) << row.broker_name;
    }
  }
  EXPECT_EQ(storage::find_topic_config_by_broker_name("message.max.bytes")->name, "max.message.bytes");
}

TEST(topic_config_catalogue_test, storage_refusing_a_valid_kafka_value_is_invalid_config) {
  EXPECT_EQ(check_topic_config("cleanup.policy", "compact, delete"), std::nullopt);
  EXPECT_EQ(check_topic_configs({{"cleanup.policy", "compact, delete"}}, {}),
            "Invalid topic configuration: a value is outside what this broker's storage accepts");
}

}  // namespace
}  // namespace spate::broker
