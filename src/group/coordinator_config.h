#pragma once
// The group coordinator's settings, under Kafka's broker config names.
#include <cstdint>

namespace spate::group {

struct coordinator_config {
  std::int32_t min_session_timeout_ms = 6000;        // group.min.session.timeout.ms
  std::int32_t max_session_timeout_ms = 1800000;     // group.max.session.timeout.ms
  std::int32_t initial_rebalance_delay_ms = 3000;    // group.initial.rebalance.delay.ms
  std::int32_t max_group_size = 2147483647;          // group.max.size
  std::int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;  // offsets.retention.minutes
  std::int64_t offsets_retention_check_interval_ms = 600000;   // offsets.retention.check.interval.ms
  std::int32_t max_metadata_bytes = 4096;            // offset.metadata.max.bytes
};

}  // namespace spate::group
