// AlterConfigs (replace all overrides) and IncrementalAlterConfigs (SET/DELETE/APPEND/SUBTRACT).
#include <gtest/gtest.h>

#include "admin_test_support.h"
#include "broker/handlers/alter_configs.h"
#include "broker/handlers/incremental_alter_configs.h"
#include "protocol/messages/alter_configs.h"
#include "protocol/messages/incremental_alter_configs.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::alter_configs_request;
using protocol::alter_configs_response;
using protocol::error_code;
using protocol::incremental_alter_configs_request;
using protocol::incremental_alter_configs_response;

constexpr std::int8_t topic_type = 2;
constexpr std::int8_t broker_type = 4;
constexpr std::int8_t set = 0, remove = 1, append = 2, subtract = 3;

struct change {
  std::string name;
  std::int8_t op;
  std::optional<std::string> value;
};

class alter_configs_test : public ::testing::Test {
 protected:
  alter_configs_test() {
    if (!services.logs().create_topic("alt", 1, {{"retention.ms", "3600000"}, {"segment.bytes", "1048576"}})) {
      throw std::runtime_error("create alt");
    }
  }

  alter_configs_response::alter_configs_resource_response alter(std::int8_t type, const std::string& name,
                                                                const storage::config_overrides& configs,
                                                                std::int16_t version = 2, bool validate_only = false) {
    alter_configs_request request;
    auto& r = request.resources.emplace_back();
    r.resource_type = type;
    r.resource_name = name;
    for (const auto& [k, v] : configs) r.configs.push_back({.name = k, .value = v});
    request.validate_only = validate_only;
    const auto response = ask<alter_configs_response>(services, request, version);
    return response.responses.at(0);
  }

  incremental_alter_configs_response::alter_configs_resource_response incremental(
      std::int8_t type, const std::string& name, const std::vector<change>& changes, std::int16_t version = 1,
      bool validate_only = false) {
    incremental_alter_configs_request request;
    auto& r = request.resources.emplace_back();
    r.resource_type = type;
    r.resource_name = name;
    for (const auto& c : changes) r.configs.push_back({.name = c.name, .config_operation = c.op, .value = c.value});
    request.validate_only = validate_only;
    return ask<incremental_alter_configs_response>(services, request, version).responses.at(0);
  }

  storage::config_overrides overrides() { return services.logs().find_topic("alt")->configs; }

  test_broker services;
};

TEST_F(alter_configs_test, every_alter_configs_version_replaces_the_whole_set) {
  for (std::int16_t v = alter_configs_handler::min_version; v <= alter_configs_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto max = std::to_string(2048 + v);
    const auto result = alter(topic_type, "alt", {{"max.message.bytes", max}}, v);
    EXPECT_EQ(result.error_code, 0);
    EXPECT_EQ(result.error_message, std::nullopt);
    EXPECT_EQ(result.resource_name, "alt");
    EXPECT_EQ(overrides(), (storage::config_overrides{{"max.message.bytes", max}}));
    EXPECT_EQ(services.logs().get("alt", 0)->config().max_message_bytes, 2048 + v);
    EXPECT_EQ(services.logs().get("alt", 0)->config().retention_ms, storage::log_config{}.retention_ms);
  }
}

TEST_F(alter_configs_test, alter_configs_validate_only_and_bad_values_change_nothing) {
  const auto before = overrides();
  EXPECT_EQ(alter(topic_type, "alt", {{"retention.ms", "1"}}, 2, true).error_code, 0);
  EXPECT_EQ(overrides(), before);
  const auto bad = alter(topic_type, "alt", {{"retention.ms", "later"}});
  EXPECT_EQ(bad.error_code, code(error_code::invalid_config));
  EXPECT_TRUE(bad.error_message && bad.error_message->find("retention.ms") != std::string::npos);
  EXPECT_EQ(alter(topic_type, "alt", {{"no.such.config", "1"}}).error_code, code(error_code::invalid_config));
  EXPECT_EQ(overrides(), before);
  EXPECT_EQ(alter(topic_type, "absent", {{"retention.ms", "1"}}).error_code,
            code(error_code::unknown_topic_or_partition));
}

TEST_F(alter_configs_test, broker_configs_are_static) {
  const auto result = alter(broker_type, "7", {{"log.retention.ms", "1"}});
  EXPECT_EQ(result.error_code, code(error_code::invalid_request));
  EXPECT_TRUE(result.error_message && !result.error_message->empty());
  EXPECT_EQ(alter(broker_type, "8", {{"log.retention.ms", "1"}}).error_code, code(error_code::invalid_request));
  EXPECT_EQ(incremental(broker_type, "", {{"log.retention.ms", set, "1"}}).error_code,
            code(error_code::invalid_request));
  EXPECT_EQ(alter(32, "g", {{"x", "1"}}).error_code, code(error_code::invalid_request));
}

TEST_F(alter_configs_test, every_incremental_version_sets_and_deletes_leaving_other_overrides) {
  for (std::int16_t v = incremental_alter_configs_handler::min_version;
       v <= incremental_alter_configs_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto max = std::to_string(4096 + v);
    const auto result = incremental(topic_type, "alt", {{"max.message.bytes", set, max}, {"segment.bytes", remove, {}}}, v);
    EXPECT_EQ(result.error_code, 0);
    EXPECT_EQ(result.error_message, std::nullopt);
    EXPECT_EQ(overrides(), (storage::config_overrides{{"max.message.bytes", max}, {"retention.ms", "3600000"}}));
    ASSERT_EQ(incremental(topic_type, "alt", {{"segment.bytes", set, "1048576"}}, v).error_code, 0);
  }
}

TEST_F(alter_configs_test, append_and_subtract_work_on_list_configs_from_their_current_value) {
  ASSERT_EQ(incremental(topic_type, "alt", {{"cleanup.policy", append, "compact"}}).error_code, 0);
  EXPECT_EQ(overrides().at("cleanup.policy"), "delete,compact");
  ASSERT_EQ(incremental(topic_type, "alt", {{"cleanup.policy", append, "compact"}}).error_code, 0);
  EXPECT_EQ(overrides().at("cleanup.policy"), "delete,compact");
  ASSERT_EQ(incremental(topic_type, "alt", {{"cleanup.policy", subtract, "delete"}}).error_code, 0);
  EXPECT_EQ(overrides().at("cleanup.policy"), "compact");
  EXPECT_EQ(services.logs().get("alt", 0)->config().cleanup_policy, "compact");
  EXPECT_EQ(incremental(topic_type, "alt", {{"retention.ms", append, "5"}}).error_code,
            code(error_code::invalid_config));
}

TEST_F(alter_configs_test, one_bad_incremental_entry_fails_the_resource_and_changes_nothing) {
  const auto before = overrides();
  EXPECT_EQ(incremental(topic_type, "alt", {{"max.message.bytes", set, "4096"}, {"retention.ms", set, "never"}})
                .error_code,
            code(error_code::invalid_config));
  EXPECT_EQ(incremental(topic_type, "alt", {{"retention.ms", set, "5"}, {"retention.ms", remove, {}}}).error_code,
            code(error_code::invalid_request));
  EXPECT_EQ(incremental(topic_type, "alt", {{"retention.ms", 9, "5"}}).error_code, code(error_code::invalid_request));
  EXPECT_EQ(incremental(topic_type, "alt", {{"cleanup.policy", subtract, "delete"}}).error_code,
            code(error_code::invalid_config));  // leaves an empty policy
  EXPECT_EQ(incremental(topic_type, "alt", {{"retention.ms", set, "1"}}, 1, true).error_code, 0);
  EXPECT_EQ(overrides(), before);
  EXPECT_EQ(incremental(topic_type, "absent", {{"retention.ms", set, "1"}}).error_code,
            code(error_code::unknown_topic_or_partition));
}

}  // namespace
}  // namespace spate::broker
