#include "broker/topic_config_catalogue.h"

#include <fmt/format.h>

namespace spate::broker {

std::optional<std::string> check_topic_config(std::string_view name, std::string_view value) {
  const auto* row = storage::find_topic_config(name);
  if (!row) return fmt::format("Unknown topic config name: {}", name);
  if (auto why = storage::value_problem(*row, value)) {
    return fmt::format("Invalid value {} for configuration {}: {}", value, name, *why);
  }
  return std::nullopt;
}

std::optional<std::string> check_topic_configs(const storage::config_overrides& overrides,
                                               const storage::log_config& broker_defaults) {
  for (const auto& [name, value] : overrides) {
    if (auto problem = check_topic_config(name, value)) return problem;
  }
  if (!storage::apply_overrides(broker_defaults, overrides)) {
    return "Invalid topic configuration: a value is outside what this broker's storage accepts";
  }
  return std::nullopt;
}

std::vector<described_config> describe_topic_configs(const storage::config_overrides& overrides,
                                                     const storage::log_config& broker_defaults) {
  std::vector<described_config> out;
  out.reserve(storage::topic_config_table().size());
  for (const auto& row : storage::topic_config_table()) {
    described_config c;
    c.name = std::string(row.name);
    c.type = row.type;
    c.documentation = row.documentation;
    c.read_only = !row.dynamic;
    const auto built_in = storage::built_in_default(row);
    const auto broker_value = storage::default_value(row, broker_defaults);
    const bool static_broker = storage::set_by_broker(row, broker_defaults);
    if (auto it = overrides.find(c.name); it != overrides.end()) {
      c.synonyms.push_back({c.name, it->second, config_source::topic});
    }
    if (static_broker) c.synonyms.push_back({std::string(row.broker_name), broker_value, config_source::static_broker});
    if (!row.broker_name.empty()) {
      c.synonyms.push_back({std::string(row.broker_name), built_in, config_source::default_config});
    }
    if (!c.synonyms.empty()) {
      c.value = c.synonyms.front().value;
      c.source = c.synonyms.front().source;
    } else {
      c.value = built_in;
      c.source = config_source::default_config;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<described_config> describe_broker_log_configs(const storage::log_config& broker_defaults) {
  std::vector<described_config> out;
  for (const auto& row : storage::topic_config_table()) {
    if (row.broker_name.empty()) continue;
    described_config c;
    c.name = std::string(row.broker_name);
    c.type = row.type;
    c.documentation = row.documentation;
    c.read_only = true;
    const auto built_in = storage::built_in_default(row);
    if (storage::set_by_broker(row, broker_defaults)) {
      c.synonyms.push_back({c.name, storage::default_value(row, broker_defaults), config_source::static_broker});
    }
    c.synonyms.push_back({c.name, built_in, config_source::default_config});
    c.value = c.synonyms.front().value;
    c.source = c.synonyms.front().source;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace spate::broker
