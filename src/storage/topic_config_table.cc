#include "storage/topic_config_table.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

namespace spate::storage {
namespace {

constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t int32_min = std::numeric_limits<std::int32_t>::min();

template <auto member>
constexpr log_config_field integer_field() {
  return {
      .get = [](const log_config& c) { return std::to_string(c.*member); },
      .set =
          [](log_config& c, std::string_view value) {
            std::remove_reference_t<decltype(c.*member)> v{};
            const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
            if (ec != std::errc{} || ptr != value.data() + value.size()) return false;
            c.*member = v;
            return true;
          },
  };
}

// Kept as given once parse_cleanup_policy (log_config.h) accepts it.
constexpr log_config_field cleanup_policy_field{
    .get = [](const log_config& c) { return c.cleanup_policy; },
    .set =
        [](log_config& c, std::string_view value) {
          if (!parse_cleanup_policy(value)) return false;
          c.cleanup_policy = std::string(value);
          return true;
        },
};

template <auto member>
constexpr log_config_field double_field() {
  return {
      .get = [](const log_config& c) { return fmt::format("{}", c.*member); },
      .set =
          [](log_config& c, std::string_view value) {
            // value_problem() has checked the number and its range.
            char* end = nullptr;
            const std::string text(value);
            const double v = std::strtod(text.c_str(), &end);
            if (end != text.c_str() + text.size()) return false;
            c.*member = v;
            return true;
          },
  };
}

constexpr log_config_field timestamp_type_field{
    .get =
        [](const log_config& c) {
          return std::string(c.message_timestamp_type == model::timestamp_type::log_append_time ? "LogAppendTime"
                                                                                                : "CreateTime");
        },
    .set =
        [](log_config& c, std::string_view value) {
          if (value != "CreateTime" && value != "LogAppendTime") return false;
          c.message_timestamp_type =
              value == "LogAppendTime" ? model::timestamp_type::log_append_time : model::timestamp_type::create_time;
          return true;
        },
};

// The table itself: long because it has a row per topic config, not because it holds logic.
std::vector<topic_config_row> build() {
  using t = config_type;
  std::vector<topic_config_row> rows = {
      {.name = "cleanup.policy",
       .type = t::list,
       .broker_name = "log.cleanup.policy",
       .documentation = "Retention policy for old segments: delete (by time or size) and/or compact (keep the "
                        "latest value per key; the log cleaner rewrites closed segments).",
       .valid_values = {"compact", "delete"},
       .field = cleanup_policy_field},
      {.name = "compression.type",
       .type = t::string,
       .broker_name = "compression.type",
       .documentation = "Final compression of the topic's batches; producer keeps the producer's codec. "
                        "Stored; batches are kept as produced.",
       .valid_values = {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"},
       .fixed_default = "producer"},
      {.name = "delete.retention.ms",
       .type = t::int64,
       .broker_name = "log.cleaner.delete.retention.ms",
       .documentation = "How long delete tombstones and transaction markers stay in a compacted log after the "
                        "cleaner first rewrote their batch.",
       .min = 0,
       .field = integer_field<&log_config::delete_retention_ms>()},
      {.name = "file.delete.delay.ms",
       .type = t::int64,
       .broker_name = "log.segment.delete.delay.ms",
       .documentation = "Delay before a deleted segment's files are removed (stored, not enforced).",
       .min = 0,
       .fixed_default = "60000"},
      {.name = "flush.messages",
       .type = t::int64,
       .broker_name = "log.flush.interval.messages",
       .documentation = "Appends between fsyncs. 1: every batch is on disk before it is acknowledged; larger "
                        "values acknowledge from the page cache.",
       .min = 1,
       .field = integer_field<&log_config::flush_messages>()},
      {.name = "flush.ms",
       .type = t::int64,
       .broker_name = "log.flush.interval.ms",
       .documentation = "Longest time appended data may stay unsynced when flush.messages > 1.",
       .min = 0,
       .field = integer_field<&log_config::flush_ms>()},
      {.name = "follower.replication.throttled.replicas",
       .type = t::list,
       .documentation = "Replicas whose follower replication is throttled (stored; single broker).",
       .fixed_default = ""},
      {.name = "index.interval.bytes",
       .type = t::int32,
       .broker_name = "log.index.interval.bytes",
       .documentation = "Bytes of batches between two offset index entries.",
       .min = 0,
       .max = int32_max,
       .field = integer_field<&log_config::index_interval_bytes>()},
      {.name = "leader.replication.throttled.replicas",
       .type = t::list,
       .documentation = "Replicas whose leader-side replication is throttled (stored; single broker).",
       .fixed_default = ""},
      {.name = "local.retention.bytes",
       .type = t::int64,
       .broker_name = "log.local.retention.bytes",
       .documentation = "Local retention by size with tiered storage (stored; no tiered storage).",
       .min = -2,
       .fixed_default = "-2"},
      {.name = "local.retention.ms",
       .type = t::int64,
       .broker_name = "log.local.retention.ms",
       .documentation = "Local retention by time with tiered storage (stored; no tiered storage).",
       .min = -2,
       .fixed_default = "-2"},
      {.name = "max.compaction.lag.ms",
       .type = t::int64,
       .broker_name = "log.cleaner.max.compaction.lag.ms",
       .documentation = "Longest time a record stays uncompacted: a log whose first dirty segment is older is "
                        "cleaned whatever its dirty ratio.",
       .min = 1,
       .field = integer_field<&log_config::max_compaction_lag_ms>()},
      {.name = "max.message.bytes",
       .type = t::int32,
       .broker_name = "message.max.bytes",
       .documentation = "Largest record batch the topic accepts.",
       .min = 0,
       .max = int32_max,
       .field = integer_field<&log_config::max_message_bytes>()},
      {.name = "message.downconversion.enable",
       .type = t::boolean,
       .broker_name = "log.message.downconversion.enable",
       .documentation = "Whether old fetch versions get down-converted batches (stored; not done).",
       .fixed_default = "true"},
      {.name = "message.format.version",
       .type = t::string,
       .broker_name = "log.message.format.version",
       .documentation = "Deprecated; batches are always magic 2.",
       .fixed_default = "3.0-IV1"},
      {.name = "message.timestamp.after.max.ms",
       .type = t::int64,
       .broker_name = "log.message.timestamp.after.max.ms",
       .documentation = "How far in the future a CreateTime timestamp may be (stored, not enforced).",
       .min = 0,
       .fixed_default = "9223372036854775807"},
      {.name = "message.timestamp.before.max.ms",
       .type = t::int64,
       .broker_name = "log.message.timestamp.before.max.ms",
       .documentation = "How far in the past a CreateTime timestamp may be (stored, not enforced).",
       .min = 0,
       .fixed_default = "9223372036854775807"},
      {.name = "message.timestamp.difference.max.ms",
       .type = t::int64,
       .broker_name = "log.message.timestamp.difference.max.ms",
       .documentation = "Deprecated: largest difference between a CreateTime timestamp and the broker's clock "
                        "(stored, not enforced).",
       .min = 0,
       .fixed_default = "9223372036854775807"},
      {.name = "message.timestamp.type",
       .type = t::string,
       .broker_name = "log.message.timestamp.type",
       .documentation = "CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker's time.",
       .valid_values = {"CreateTime", "LogAppendTime"},
       .field = timestamp_type_field},
      {.name = "min.cleanable.dirty.ratio",
       .type = t::float64,
       .broker_name = "log.cleaner.min.cleanable.ratio",
       .documentation = "Dirty share of a compacted log (dirty bytes over clean plus dirty) that makes it due "
                        "for cleaning.",
       .min = 0,
       .max = 1,
       .field = double_field<&log_config::min_cleanable_dirty_ratio>()},
      {.name = "min.compaction.lag.ms",
       .type = t::int64,
       .broker_name = "log.cleaner.min.compaction.lag.ms",
       .documentation = "Shortest time a record stays uncompacted (by its batch's largest timestamp).",
       .min = 0,
       .field = integer_field<&log_config::min_compaction_lag_ms>()},
      {.name = "min.insync.replicas",
       .type = t::int32,
       .broker_name = "min.insync.replicas",
       .documentation = "Replicas that must have a write for acks=all (one broker: always 1).",
       .min = 1,
       .max = int32_max,
       .fixed_default = "1"},
      {.name = "preallocate",
       .type = t::boolean,
       .broker_name = "log.preallocate",
       .documentation = "Whether segment files are preallocated whole (stored, not done: the active segment always "
                        "has up to 16 MiB reserved ahead of its appends, docs/storage-format.md).",
       .fixed_default = "false"},
      {.name = "quota.trim.enable",
       .type = t::boolean,
       .documentation = "spate's own: whether the disk quota's trim policy may delete this topic's oldest closed "
                        "segments in the soft state (only with cleanup.policy including delete; never internal "
                        "topics; docs/disk-quota.md).",
       .fixed_default = "true"},
      {.name = "remote.storage.enable",
       .type = t::boolean,
       .documentation = "Tiered storage; not supported, so only false is accepted.",
       .valid_values = {"false"},
       .fixed_default = "false"},
      {.name = "retention.bytes",
       .type = t::int64,
       .broker_name = "log.retention.bytes",
       .documentation = "Largest size of a partition before its oldest segments are deleted; -1: no limit.",
       .min = -1,
       .field = integer_field<&log_config::retention_bytes>()},
      {.name = "retention.ms",
       .type = t::int64,
       .broker_name = "log.retention.ms",
       .documentation = "Age after which closed segments are deleted; -1: keep forever.",
       .min = -1,
       .field = integer_field<&log_config::retention_ms>()},
      {.name = "segment.bytes",
       .type = t::int32,
       .broker_name = "log.segment.bytes",
       .documentation = "Size at which the active segment is rolled.",
       .min = 14,
       .max = int32_max,
       .field = integer_field<&log_config::segment_bytes>()},
      // Kafka allows 4; storage needs room for one index entry.
      {.name = "segment.index.bytes",
       .type = t::int32,
       .broker_name = "log.index.size.max.bytes",
       .documentation = "Largest size of a segment's offset and time indexes.",
       .min = 12,
       .max = int32_max,
       .field = integer_field<&log_config::segment_index_bytes>()},
      {.name = "segment.jitter.ms",
       .type = t::int64,
       .broker_name = "log.roll.jitter.ms",
       .documentation = "Random jitter subtracted from segment.ms (stored, not applied).",
       .min = 0,
       .fixed_default = "0"},
      {.name = "segment.ms",
       .type = t::int64,
       .broker_name = "log.roll.ms",
       .documentation = "Age (by record timestamps) at which the active segment is rolled.",
       .min = 1,
       .field = integer_field<&log_config::segment_ms>()},
      {.name = "unclean.leader.election.enable",
       .type = t::boolean,
       .broker_name = "unclean.leader.election.enable",
       .documentation = "Whether an out-of-sync replica may become leader (single broker: no effect).",
       .fixed_default = "false"},
  };
  for (auto& r : rows) {
    if (r.type == t::int32) {
      r.min = std::max(r.min, int32_min);
      r.max = std::min(r.max, int32_max);
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return rows;
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

std::vector<std::string_view> split_config_list(std::string_view value) {
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

const std::vector<topic_config_row>& topic_config_table() {
  static const std::vector<topic_config_row> rows = build();
  return rows;
}

const topic_config_row* find_topic_config(std::string_view name) {
  const auto& rows = topic_config_table();
  const auto it = std::lower_bound(rows.begin(), rows.end(), name,
                                   [](const topic_config_row& r, std::string_view n) { return r.name < n; });
  return it != rows.end() && it->name == name ? &*it : nullptr;
}

const topic_config_row* find_topic_config_by_broker_name(std::string_view broker_name) {
  if (broker_name.empty()) return nullptr;
  for (const auto& row : topic_config_table()) {
    if (row.broker_name == broker_name) return &row;
  }
  return nullptr;
}

std::string default_value(const topic_config_row& row, const log_config& broker_defaults) {
  return row.field.get ? row.field.get(broker_defaults) : std::string(row.fixed_default);
}

std::string built_in_default(const topic_config_row& row) { return default_value(row, log_config{}); }

bool set_by_broker(const topic_config_row& row, const log_config& broker_defaults) {
  return row.field.get && row.field.get(broker_defaults) != row.field.get({});
}

std::optional<std::string> value_problem(const topic_config_row& row, std::string_view value) {
  switch (row.type) {
    case config_type::int16:
    case config_type::int32:
    case config_type::int64: {
      std::int64_t v = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || ptr != value.data() + value.size()) {
        return fmt::format("Not a number of type {}", type_name(row.type));
      }
      if (v < row.min) return fmt::format("Value must be at least {}", row.min);
      if (v > row.max) return fmt::format("Value must be no more than {}", row.max);
      break;
    }
    case config_type::float64: {
      const std::string copy(value);
      char* end = nullptr;
      const double v = copy.empty() ? 0 : std::strtod(copy.c_str(), &end);
      if (copy.empty() || end != copy.c_str() + copy.size()) return std::string("Not a number of type DOUBLE");
      if (v < static_cast<double>(row.min)) return fmt::format("Value must be at least {}", row.min);
      if (v > static_cast<double>(row.max)) return fmt::format("Value must be no more than {}", row.max);
      break;
    }
    case config_type::boolean: {
      std::string lower(value);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lower != "true" && lower != "false") return std::string("Expected value to be either true or false");
      if (!row.valid_values.empty() && !one_of(row.valid_values, lower)) {
        return fmt::format("Only {} is supported by this broker", joined(row.valid_values));
      }
      break;
    }
    case config_type::list:
      if (row.valid_values.empty()) break;
      if (split_config_list(value).empty())
        return fmt::format("List must contain at least one of: {}", joined(row.valid_values));
      for (auto item : split_config_list(value)) {
        if (!one_of(row.valid_values, item)) return fmt::format("String must be one of: {}", joined(row.valid_values));
      }
      break;
    default:
      if (!row.valid_values.empty() && !one_of(row.valid_values, value)) {
        return fmt::format("String must be one of: {}", joined(row.valid_values));
      }
      break;
  }
  return std::nullopt;
}

}  // namespace spate::storage
