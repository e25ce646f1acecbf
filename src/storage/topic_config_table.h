#pragma once
// The one table of topic configs: every topic-level config Kafka defines, one row each, with its
// Kafka names (the topic's and the broker-level default's, as Kafka pairs them), type, default,
// bounds, documentation, how it sets a log_config field, and whether it may change on a live
// topic. DescribeConfigs, CreateTopics, (Incremental)AlterConfigs, apply_overrides(), the broker's
// start-up settings (`spate serve --help`) and docs/configuration.md all read it, so adding a
// topic config is adding a row in topic_config_table.cc.
//
// It lives in storage because a row knows how to set a log_config field, and storage may not
// include the broker or app modules that present it.
//
// Configs that storage does not act on (compaction, replication, tiered storage...) have no
// field: they are accepted and stored, as Kafka's clients and tools set them routinely (Kafka
// Streams sets min.insync.replicas, compression.type...), and validated as Kafka validates them.
//
// Thread-safety: immutable after first use; all functions are thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/log_config.h"

namespace spate::storage {

// Kafka's ConfigDef.Type; the numbers are DescribeConfigs' config_type (KIP-569).
enum class config_type : std::int8_t {
  unknown = 0,
  boolean = 1,
  string = 2,
  int32 = 3,
  int16 = 4,
  int64 = 5,
  float64 = 6,
  list = 7,
  class_name = 8,
  password = 9,
};

// Kafka's name of the type: LONG, INT, LIST...
std::string_view type_name(config_type type);

// How a row reads and writes its log_config field.
struct log_config_field {
  std::string (*get)(const log_config&) = nullptr;
  // Writes a value that value_problem() accepted; false: storage cannot act on this value.
  bool (*set)(log_config&, std::string_view value) = nullptr;
};

struct topic_config_row {
  std::string_view name;
  config_type type = config_type::string;
  // Kafka's broker-level name for the default (log.retention.ms for retention.ms); empty: none.
  std::string_view broker_name;
  std::string_view documentation;
  // INT/LONG: inclusive range. DOUBLE: the same range, compared as a double.
  std::int64_t min = INT64_MIN;
  std::int64_t max = INT64_MAX;
  // STRING: one of these; LIST: each item one of these; BOOLEAN: only these. Empty: anything.
  std::vector<std::string_view> valid_values;
  // Null for configs storage only stores. With a field, the default comes from the broker's log
  // defaults and `broker_name` may be set at start-up.
  log_config_field field;
  // The default of a config without a field.
  std::string_view fixed_default;
  // Whether AlterConfigs may change it on an existing topic (DescribeConfigs' read_only is the
  // negation).
  bool dynamic = true;

  bool storage_acts_on_it() const { return field.set != nullptr; }
};

// Sorted by name.
const std::vector<topic_config_row>& topic_config_table();
// nullptr for a name we do not know.
const topic_config_row* find_topic_config(std::string_view name);
// The row whose broker-level name is `broker_name`; nullptr when none.
const topic_config_row* find_topic_config_by_broker_name(std::string_view broker_name);

// The default on a broker whose log defaults are `broker_defaults`.
std::string default_value(const topic_config_row& row, const log_config& broker_defaults);
// The default on a broker whose configuration does not set `broker_name`.
std::string built_in_default(const topic_config_row& row);
// Whether the operator set the broker-level name (its value differs from the built-in default).
bool set_by_broker(const topic_config_row& row, const log_config& broker_defaults);

// Why `value` is refused for `row`, in Kafka's words ("Value must be at least 14"); nullopt when
// it is valid.
std::optional<std::string> value_problem(const topic_config_row& row, std::string_view value);

// The items of a LIST value: comma-separated, blanks around items trimmed, empty items dropped.
std::vector<std::string_view> split_config_list(std::string_view value);

}  // namespace spate::storage
