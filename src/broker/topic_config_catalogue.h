#pragma once
// Every topic-level config the broker accepts, Kafka's names and types: its default (taken from
// the broker's log.* defaults where storage honours it), its broker-level synonym, documentation,
// and the rule its values must satisfy. CreateTopics and (Incremental)AlterConfigs validate with
// it; CreateTopics v5+ and DescribeConfigs describe with it.
//
// Configs that storage does not act on yet (compaction, replication, tiered storage...) are still
// accepted and stored, as Kafka's clients and tools set them routinely (Kafka Streams sets
// min.insync.replicas, compression.type...); their values are validated as Kafka validates them.
// An unknown name is INVALID_CONFIG, as in Kafka.
//
// Thread-safety: immutable after first use; all functions are thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/log_config.h"

namespace spate::broker {

// DescribeConfigs' config_type (KIP-569), Kafka's ConfigDef.Type.
enum class config_type : std::int8_t {
  unknown = 0, boolean = 1, string = 2, int32 = 3, int16 = 4, int64 = 5, float64 = 6, list = 7,
  class_name = 8, password = 9,
};

// DescribeConfigs' config_source (KIP-226).
enum class config_source : std::int8_t {
  unknown = 0,
  topic = 1,                   // TOPIC_CONFIG (DYNAMIC_TOPIC_CONFIG): a topic override
  dynamic_broker = 2,          // DYNAMIC_BROKER_CONFIG
  dynamic_default_broker = 3,  // DYNAMIC_DEFAULT_BROKER_CONFIG
  static_broker = 4,           // STATIC_BROKER_CONFIG: set in the broker's configuration
  default_config = 5,          // DEFAULT_CONFIG: the built-in default
};

struct topic_config_spec {
  std::string_view name;
  config_type type = config_type::string;
  // Kafka's broker-level name for the default (log.retention.ms for retention.ms); empty: none.
  std::string_view broker_synonym;
  std::string_view documentation;
  // INT/LONG: inclusive range. DOUBLE: the same range, compared as a double.
  std::int64_t min = INT64_MIN;
  std::int64_t max = INT64_MAX;
  // STRING: one of these; LIST: each item one of these. Empty: anything.
  std::vector<std::string_view> valid_values;
  // The default: from the broker's log defaults when storage honours the config, else fixed.
  std::string (*from_log_defaults)(const storage::log_config&) = nullptr;
  std::string_view fixed_default;
};

// Sorted by name.
const std::vector<topic_config_spec>& topic_config_catalogue();
// nullptr for a name we do not know.
const topic_config_spec* find_topic_config(std::string_view name);

// The config's default on a broker whose log defaults are `broker_defaults`.
std::string default_value(const topic_config_spec& spec, const storage::log_config& broker_defaults);
// Whether the operator set the broker-level synonym (its value differs from the built-in default).
bool set_by_broker(const topic_config_spec& spec, const storage::log_config& broker_defaults);

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
