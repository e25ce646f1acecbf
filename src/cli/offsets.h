#pragma once
// Pure parsing and planning for offsets: `consume --offset`, `group reset-offsets` and datetimes.
// Parse functions throw std::invalid_argument with a message fit for a usage error.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::cli {

// `consume --offset`: beginning | end | N (absolute) | -N (N before the end) | @timestamp_ms.
struct start_offset {
  enum class kind { beginning, end, absolute, from_end, timestamp };
  kind where = kind::beginning;
  std::int64_t value = 0;  // the offset, the count before the end, or the timestamp in ms
  bool operator==(const start_offset&) const = default;
};
start_offset parse_start_offset(std::string_view text);

// ISO-8601 date-time to milliseconds since the epoch: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.fff]] with an
// optional zone Z, +HH:MM, -HH:MM or +HHMM. No zone means UTC (unlike Kafka's tool, which uses the
// local zone: a script gets the same answer on every machine).
std::int64_t parse_datetime_ms(std::string_view text);

// `--topic T` or `--topic T:0,1,2`; an empty partition list means every partition of T.
struct topic_selection {
  std::string topic;
  std::vector<std::int32_t> partitions;
  bool operator==(const topic_selection&) const = default;
};
topic_selection parse_topic_selection(std::string_view text);

// "key=value" (value may contain '='); throws when there is no '=' or the key is empty.
std::pair<std::string, std::string> parse_key_value(std::string_view text, std::string_view flag);

// How `group reset-offsets` picks each partition's new offset.
struct reset_strategy {
  enum class kind { earliest, latest, offset, datetime, shift_by };
  kind how = kind::earliest;
  std::int64_t value = 0;  // the offset, the timestamp in ms, or the shift
};

// What is known about one partition when planning.
struct partition_position {
  std::string topic;
  std::int32_t partition = 0;
  std::optional<std::int64_t> committed;  // nullopt: the group has no committed offset here
  std::int64_t log_start = 0;
  std::int64_t log_end = 0;
  // For kind::datetime: the first offset whose timestamp is at or after the time, or nullopt when
  // there is none (the new offset is then the log end, as in Kafka's tool).
  std::optional<std::int64_t> offset_for_time;
};

struct reset_row {
  std::string topic;
  std::int32_t partition = 0;
  std::optional<std::int64_t> current;
  std::int64_t target = 0;
};

// Every target is clamped to [log_start, log_end], as Kafka's tool does. --shift-by from a partition
// without a committed offset shifts from the log start.
std::int64_t reset_target(const reset_strategy& strategy, const partition_position& p);
std::vector<reset_row> plan_reset(const reset_strategy& strategy, const std::vector<partition_position>& positions);

// Lag of a committed offset against the log end; nullopt without a committed offset.
std::optional<std::int64_t> lag(std::optional<std::int64_t> committed, std::int64_t log_end);

}  // namespace spate::cli
