#pragma once
// How the broker presents the topic config table (storage/topic_config_table.h) to Kafka clients:
// CreateTopics and (Incremental)AlterConfigs validate with it, in Kafka's words; CreateTopics v5+
// and DescribeConfigs describe with it. An unknown name is INVALID_CONFIG, as in Kafka.
//
// Thread-safety: all functions are thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/log_config.h"
#include "storage/topic_config_table.h"

namespace spate::broker {

// DescribeConfigs reports the table's types as they are.
using storage::config_type;

// DescribeConfigs' config_source (KIP-226).
enum class config_source : std::int8_t {
  unknown = 0,
  topic = 1,                   // TOPIC_CONFIG (DYNAMIC_TOPIC_CONFIG): a topic override
  dynamic_broker = 2,          // DYNAMIC_BROKER_CONFIG
  dynamic_default_broker = 3,  // DYNAMIC_DEFAULT_BROKER_CONFIG
  static_broker = 4,           // STATIC_BROKER_CONFIG: set in the broker's configuration
  default_config = 5,          // DEFAULT_CONFIG: the built-in default
};

// Checks one name/value: nullopt when valid, else Kafka-style message for INVALID_CONFIG.
std::optional<std::string> check_topic_config(std::string_view name, std::string_view value);
// Checks a whole set of overrides, including what storage itself refuses.
std::optional<std::string> check_topic_configs(const storage::config_overrides& overrides,
                                               const storage::log_config& broker_defaults);

struct config_synonym {
  std::string name;
  std::string value;
  config_source source;
};

struct described_config {
  std::string name;
  std::string value;
  config_source source = config_source::default_config;
  bool read_only = false;
  bool sensitive = false;
  config_type type = config_type::string;
  std::string_view documentation;
  // Most specific first: the topic override, the broker's setting, the built-in default.
  std::vector<config_synonym> synonyms;
};

// Every topic config (sorted by name) of a topic with `overrides` on this broker.
std::vector<described_config> describe_topic_configs(const storage::config_overrides& overrides,
                                                     const storage::log_config& broker_defaults);
// The broker-level synonyms of the topic configs (log.retention.ms, message.max.bytes, ...) as a
// BROKER resource describes them: read-only, STATIC_BROKER_CONFIG when set, else DEFAULT_CONFIG.
std::vector<described_config> describe_broker_log_configs(const storage::log_config& broker_defaults);

}  // namespace spate::broker
