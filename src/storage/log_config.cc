#include "storage/log_config.h"

#include <charconv>

namespace spate::storage {
namespace {

bool parse_int(const std::string& s, std::int64_t& out, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

result<log_config> apply_overrides(const log_config& base, const config_overrides& overrides) {
  log_config c = base;
  for (const auto& [name, value] : overrides) {
    std::int64_t v = 0;
    bool ok = true;
    if (name == "segment.bytes") {
      ok = parse_int(value, v, 14, std::numeric_limits<std::int32_t>::max());
      c.segment_bytes = v;
    } else if (name == "segment.ms") {
      ok = parse_int(value, v, 1, no_limit);
      c.segment_ms = v;
    } else if (name == "retention.ms") {
      ok = parse_int(value, v, -1, no_limit);
      c.retention_ms = v;
    } else if (name == "retention.bytes") {
      ok = parse_int(value, v, -1, no_limit);
      c.retention_bytes = v;
    } else if (name == "cleanup.policy") {
      ok = value == "delete" || value == "compact" || value == "compact,delete" ||
           value == "delete,compact";
      c.cleanup_policy = value;
    } else if (name == "max.message.bytes") {
      ok = parse_int(value, v, 0, std::numeric_limits<std::int32_t>::max());
      c.max_message_bytes = static_cast<std::int32_t>(v);
    } else if (name == "message.timestamp.type") {
      ok = value == "CreateTime" || value == "LogAppendTime";
      c.message_timestamp_type = value == "LogAppendTime" ? model::timestamp_type::log_append_time
                                                          : model::timestamp_type::create_time;
    } else if (name == "flush.messages") {
      ok = parse_int(value, v, 1, no_limit);
      c.flush_messages = v;
    } else if (name == "flush.ms") {
      ok = parse_int(value, v, 0, no_limit);
      c.flush_ms = v;
    } else if (name == "index.interval.bytes") {
      ok = parse_int(value, v, 0, std::numeric_limits<std::int32_t>::max());
      c.index_interval_bytes = static_cast<std::int32_t>(v);
    } else if (name == "segment.index.bytes") {
      ok = parse_int(value, v, 12, std::numeric_limits<std::int32_t>::max());
      c.segment_index_bytes = static_cast<std::int32_t>(v);
    }
    if (!ok) return base::failure(errc::invalid_config);
  }
  return c;
}

}  // namespace spate::storage
