#include "broker/topic_config_catalogue.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

namespace spate::broker {
namespace {

constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t int32_min = std::numeric_limits<std::int32_t>::min();

std::string text(std::int64_t v) { return std::to_string(v); }

std::vector<topic_config_spec> build() {
  using storage::log_config;
  using t = config_type;
  std::vector<topic_config_spec> specs = {
      {.name = "cleanup.policy", .type = t::list, .broker_synonym = "log.cleanup.policy",
       .documentation = "Retention policy for old segments: delete (by time or size) and/or compact (keep the "
                        "latest value per key; compaction is not implemented yet, the value is stored).",
       .valid_values = {"compact", "delete"},
       .from_log_defaults = [](const log_config& c) { return c.cleanup_policy; }},
      {.name = "compression.type", .type = t::string, .broker_synonym = "compression.type",
       .documentation = "Final compression of the topic's batches; producer keeps the producer's codec. "
                        "Stored; batches are kept as produced.",
       .valid_values = {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"},
       .fixed_default = "producer"},
      {.name = "delete.retention.ms", .type = t::int64, .broker_synonym = "log.cleaner.delete.retention.ms",
       .documentation = "How long delete tombstones are kept on compacted topics (stored, not enforced).",
       .min = 0, .fixed_default = "86400000"},
      {.name = "file.delete.delay.ms", .type = t::int64, .broker_synonym = "log.segment.delete.delay.ms",
       .documentation = "Delay before a deleted segment's files are removed (stored, not enforced).", .min = 0,
       .fixed_default = "60000"},
      {.name = "flush.messages", .type = t::int64, .broker_synonym = "log.flush.interval.messages",
       .documentation = "Appends between fsyncs. 1: every batch is on disk before it is acknowledged; larger "
                        "values acknowledge from the page cache.",
       .min = 1, .from_log_defaults = [](const log_config& c) { return text(c.flush_messages); }},
      {.name = "flush.ms", .type = t::int64, .broker_synonym = "log.flush.interval.ms",
       .documentation = "Longest time appended data may stay unsynced when flush.messages > 1.", .min = 0,
       .from_log_defaults = [](const log_config& c) { return text(c.flush_ms); }},
      {.name = "follower.replication.throttled.replicas", .type = t::list,
       .documentation = "Replicas whose follower replication is throttled (stored; single broker).",
       .fixed_default = ""},
      {.name = "index.interval.bytes", .type = t::int32, .broker_synonym = "log.index.interval.bytes",
       .documentation = "Bytes of batches between two offset index entries.", .min = 0, .max = int32_max,
       .from_log_defaults = [](const log_config& c) { return text(c.index_interval_bytes); }},
      {.name = "leader.replication.throttled.replicas", .type = t::list,
       .documentation = "Replicas whose leader-side replication is throttled (stored; single broker).",
       .fixed_default = ""},
      {.name = "local.retention.bytes", .type = t::int64, .broker_synonym = "log.local.retention.bytes",
       .documentation = "Local retention by size with tiered storage (stored; no tiered storage).", .min = -2,
       .fixed_default = "-2"},
      {.name = "local.retention.ms", .type = t::int64, .broker_synonym = "log.local.retention.ms",
       .documentation = "Local retention by time with tiered storage (stored; no tiered storage).", .min = -2,
       .fixed_default = "-2"},
      {.name = "max.compaction.lag.ms", .type = t::int64, .broker_synonym = "log.cleaner.max.compaction.lag.ms",
       .documentation = "Longest time a record stays uncompacted (stored, not enforced).", .min = 1,
       .fixed_default = "9223372036854775807"},
      {.name = "max.message.bytes", .type = t::int32, .broker_synonym = "message.max.bytes",
       .documentation = "Largest record batch the topic accepts.", .min = 0, .max = int32_max,
       .from_log_defaults = [](const log_config& c) { return text(c.max_message_bytes); }},
      {.name = "message.downconversion.enable", .type = t::boolean,
       .broker_synonym = "log.message.downconversion.enable",
       .documentation = "Whether old fetch versions get down-converted batches (stored; not done).",
       .fixed_default = "true"},
      {.name = "message.format.version", .type = t::string, .broker_synonym = "log.message.format.version",
       .documentation = "Deprecated; batches are always magic 2.", .fixed_default = "3.0-IV1"},
      {.name = "message.timestamp.after.max.ms", .type = t::int64,
       .broker_synonym = "log.message.timestamp.after.max.ms",
       .documentation = "How far in the future a CreateTime timestamp may be (stored, not enforced).", .min = 0,
       .fixed_default = "9223372036854775807"},
      {.name = "message.timestamp.before.max.ms", .type = t::int64,
       .broker_synonym = "log.message.timestamp.before.max.ms",
       .documentation = "How far in the past a CreateTime timestamp may be (stored, not enforced).", .min = 0,
       .fixed_default = "9223372036854775807"},
      {.name = "message.timestamp.difference.max.ms", .type = t::int64,
       .broker_synonym = "log.message.timestamp.difference.max.ms",
       .documentation = "Deprecated: largest difference between a CreateTime timestamp and the broker's clock "
                        "(stored, not enforced).",
       .min = 0, .fixed_default = "9223372036854775807"},
      {.name = "message.timestamp.type", .type = t::string, .broker_synonym = "log.message.timestamp.type",
       .documentation = "CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker's time.",
       .valid_values = {"CreateTime", "LogAppendTime"},
       .from_log_defaults =
           [](const log_config& c) {
             return std::string(c.message_timestamp_type == model::timestamp_type::log_append_time ? "LogAppendTime"
                                                                                                   : "CreateTime");
           }},
      {.name = "min.cleanable.dirty.ratio", .type = t::float64, .broker_synonym = "log.cleaner.min.cleanable.ratio",
       .documentation = "Dirty share of a compacted log that triggers cleaning (stored, not enforced).", .min = 0,
       .max = 1, .fixed_default = "0.5"},
      {.name = "min.compaction.lag.ms", .type = t::int64, .broker_synonym = "log.cleaner.min.compaction.lag.ms",
       .documentation = "Shortest time a record stays uncompacted (stored, not enforced).", .min = 0,
       .fixed_default = "0"},
      {.name = "min.insync.replicas", .type = t::int32, .broker_synonym = "min.insync.replicas",
       .documentation = "Replicas that must have a write for acks=all (one broker: always 1).", .min = 1,
       .max = int32_max, .fixed_default = "1"},
      {.name = "preallocate", .type = t::boolean, .broker_synonym = "log.preallocate",
       .documentation = "Whether segment files are preallocated (stored, not done).", .fixed_default = "false"},
      {.name = "remote.storage.enable", .type = t::boolean,
       .documentation = "Tiered storage; not supported, so only false is accepted.", .valid_values = {"false"},
       .fixed_default = "false"},
      {.name = "retention.bytes", .type = t::int64, .broker_synonym = "log.retention.bytes",
       .documentation = "Largest size of a partition before its oldest segments are deleted; -1: no limit.",
       .min = -1, .from_log_defaults = [](const log_config& c) { return text(c.retention_bytes); }},
      {.name = "retention.ms", .type = t::int64, .broker_synonym = "log.retention.ms",
       .documentation = "Age after which closed segments are deleted; -1: keep forever.", .min = -1,
       .from_log_defaults = [](const log_config& c) { return text(c.retention_ms); }},
      {.name = "segment.bytes", .type = t::int32, .broker_synonym = "log.segment.bytes",
       .documentation = "Size at which the active segment is rolled.", .min = 14, .max = int32_max,
       .from_log_defaults = [](const log_config& c) { return text(c.segment_bytes); }},
      // Kafka allows 4; storage needs room for one index entry.
      {.name = "segment.index.bytes", .type = t::int32, .broker_synonym = "log.index.size.max.bytes",
       .documentation = "Largest size of a segment's offset and time indexes.", .min = 12, .max = int32_max,
       .from_log_defaults = [](const log_config& c) { return text(c.segment_index_bytes); }},
      {.name = "segment.jitter.ms", .type = t::int64, .broker_synonym = "log.roll.jitter.ms",
       .documentation = "Random jitter subtracted from segment.ms (stored, not applied).", .min = 0,
       .fixed_default = "0"},
      {.name = "segment.ms", .type = t::int64, .broker_synonym = "log.roll.ms",
       .documentation = "Age (by record timestamps) at which the active segment is rolled.", .min = 1,
       .from_log_defaults = [](const log_config& c) { return text(c.segment_ms); }},
      {.name = "unclean.leader.election.enable", .type = t::boolean,
       .broker_synonym = "unclean.leader.election.enable",
       .documentation = "Whether an out-of-sync replica may become leader (single broker: no effect).",
       .fixed_default = "false"},
  };
  for (auto& s : specs) {
    if (s.type == t::int32) {
      s.min = std::max(s.min, int32_min);
      s.max = std::min(s.max, int32_max);
    }
  }
  std::sort(specs.begin(), specs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return specs;
}

std::string_view type_name(config_type type) {
  switch (type) {
    case config_type::boolean: return "BOOLEAN";
    case config_type::int32: return "INT";
    case config_type::int16: return "SHORT";
    case config_type::int64: return "LONG";
    case config_type::float64: return "DOUBLE";
    case config_type::list: return "LIST";
    default: return "STRING";
  }
}

std::string invalid(std::string_view name, std::string_view value, std::string_view why) {
  return fmt::format("Invalid value {} for configuration {}: {}", value, name, why);
}

std::vector<std::string_view> split_list(std::string_view value) {
  std::vector<std::string_view> items;
  while (!value.empty()) {
    const auto comma = value.find(',');
    auto item = value.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return items;
}

std::string joined(const std::vector<std::string_view>& values) {
  std::string out;
  for (auto v : values) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

bool one_of(const std::vector<std::string_view>& allowed, std::string_view v) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

}  // namespace

const std::vector<topic_config_spec>& topic_config_catalogue() {
  static const std::vector<topic_config_spec> specs = build();
  return specs;
}

const topic_config_spec* find_topic_config(std::string_view name) {
  const auto& specs = topic_config_catalogue();
  const auto it = std::lower_bound(specs.begin(), specs.end(), name,
                                   [](const topic_config_spec& s, std::string_view n) { return s.name < n; });
  return it != specs.end() && it->name == name ? &*it : nullptr;
}

std::string default_value(const topic_config_spec& spec, const storage::log_config& broker_defaults) {
  return spec.from_log_defaults ? spec.from_log_defaults(broker_defaults) : std::string(spec.fixed_default);
}

bool set_by_broker(const topic_config_spec& spec, const storage::log_config& broker_defaults) {
  return spec.from_log_defaults && spec.from_log_defaults(broker_defaults) != spec.from_log_defaults({});
}

std::optional<std::string> check_topic_config(std::string_view name, std::string_view value) {
  const auto* spec = find_topic_config(name);
  if (!spec) return fmt::format("Unknown topic config name: {}", name);
  switch (spec->type) {
    case config_type::int16:
    case config_type::int32:
    case config_type::int64: {
      std::int64_t v = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || ptr != value.data() + value.size()) {
        return invalid(name, value, fmt::format("Not a number of type {}", type_name(spec->type)));
      }
      if (v < spec->min) return invalid(name, value, fmt::format("Value must be at least {}", spec->min));
      if (v > spec->max) return invalid(name, value, fmt::format("Value must be no more than {}", spec->max));
      break;
    }
    case config_type::float64: {
      const std::string copy(value);
      char* end = nullptr;
      const double v = copy.empty() ? 0 : std::strtod(copy.c_str(), &end);
      if (copy.empty() || end != copy.c_str() + copy.size()) {
        return invalid(name, value, "Not a number of type DOUBLE");
      }
      if (v < static_cast<double>(spec->min)) {
        return invalid(name, value, fmt::format("Value must be at least {}", spec->min));
      }
      if (v > static_cast<double>(spec->max)) {
        return invalid(name, value, fmt::format("Value must be no more than {}", spec->max));
      }
      break;
    }
    case config_type::boolean: {
      std::string lower(value);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lower != "true" && lower != "false") return invalid(name, value, "Expected value to be either true or false");
      if (!spec->valid_values.empty() && !one_of(spec->valid_values, lower)) {
        return invalid(name, value, fmt::format("Only {} is supported by this broker", joined(spec->valid_values)));
      }
      break;
    }
    case config_type::list:
      if (spec->valid_values.empty()) break;
      if (split_list(value).empty()) {
        return invalid(name, value, fmt::format("List must contain at least one of: {}", joined(spec->valid_values)));
      }
      for (auto item : split_list(value)) {
        if (!one_of(spec->valid_values, item)) {
          return invalid(name, value, fmt::format("String must be one of: {}", joined(spec->valid_values)));
        }
      }
      break;
    default:
      if (!spec->valid_values.empty() && !one_of(spec->valid_values, value)) {
        return invalid(name, value, fmt::format("String must be one of: {}", joined(spec->valid_values)));
      }
      break;
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
  out.reserve(topic_config_catalogue().size());
  for (const auto& spec : topic_config_catalogue()) {
    described_config c;
    c.name = std::string(spec.name);
    c.type = spec.type;
    c.documentation = spec.documentation;
    const auto built_in = spec.from_log_defaults ? spec.from_log_defaults({}) : std::string(spec.fixed_default);
    const auto broker_value = default_value(spec, broker_defaults);
    const bool static_broker = set_by_broker(spec, broker_defaults);
    if (auto it = overrides.find(c.name); it != overrides.end()) {
      c.synonyms.push_back({c.name, it->second, config_source::topic});
    }
    if (static_broker) c.synonyms.push_back({std::string(spec.broker_synonym), broker_value, config_source::static_broker});
    if (!spec.broker_synonym.empty()) {
      c.synonyms.push_back({std::string(spec.broker_synonym), built_in, config_source::default_config});
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
  for (const auto& spec : topic_config_catalogue()) {
    if (spec.broker_synonym.empty()) continue;
    described_config c;
    c.name = std::string(spec.broker_synonym);
    c.type = spec.type;
    c.documentation = spec.documentation;
    c.read_only = true;
    const auto built_in = spec.from_log_defaults ? spec.from_log_defaults({}) : std::string(spec.fixed_default);
    if (set_by_broker(spec, broker_defaults)) {
      c.synonyms.push_back({c.name, default_value(spec, broker_defaults), config_source::static_broker});
    }
    c.synonyms.push_back({c.name, built_in, config_source::default_config});
    c.value = c.synonyms.front().value;
    c.source = c.synonyms.front().source;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace spate::broker
