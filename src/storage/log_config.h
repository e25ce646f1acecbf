#pragma once
// Per-log configuration: Kafka's topic-level settings that storage honours. Broker defaults come
// from storage_config::log_defaults; a topic's overrides (Kafka's names and string values, as
// CreateTopics/AlterConfigs carry them) are applied with apply_overrides(). Names, bounds and
// defaults of the configs, and which field each sets, are rows of topic_config_table.h.
//
// Flush policy — the choice we made, stated once:
//   flush_messages == 1 (our default, unlike Kafka's Long.MAX): "durable by default". Every
//     append is fdatasync'ed before the high watermark moves past it and before on_durable()
//     callbacks fire; concurrent appends share one fdatasync per round (group commit).
//   flush_messages > 1 (e.g. 9223372036854775807, Kafka's default): "ack from page cache". The
//     high watermark moves as soon as the batch is in the page cache (on_durable() fires at
//     once); the log is fsynced when flush_messages appends have accumulated, when the oldest
//     unflushed append is flush_ms old (checked by flush_if_due()), and on segment roll. A
//     machine crash can lose acknowledged data — Kafka's default trade, made by replication there.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "model/record_batch.h"
#include "storage/errc.h"

namespace spate::storage {

inline constexpr std::int64_t no_limit = std::numeric_limits<std::int64_t>::max();

struct log_config {
  std::int64_t segment_bytes = 1LL << 30;             // segment.bytes
  std::int64_t segment_ms = 7LL * 24 * 3600 * 1000;   // segment.ms
  std::int64_t retention_ms = 7LL * 24 * 3600 * 1000; // retention.ms, -1: keep forever
  std::int64_t retention_bytes = -1;                  // retention.bytes, -1: no size limit
  std::string cleanup_policy = "delete";              // cleanup.policy: delete, compact or both
  std::int32_t max_message_bytes = 1048588;           // max.message.bytes (batch size limit)
  model::timestamp_type message_timestamp_type = model::timestamp_type::create_time;
  std::int64_t flush_messages = 1;                    // flush.messages (see above)
  std::int64_t flush_ms = no_limit;                   // flush.ms
  std::int32_t index_interval_bytes = 4096;           // index.interval.bytes
  std::int32_t segment_index_bytes = 10 << 20;        // segment.index.bytes (max index size)
  // ---- Compaction (log_cleaner.h).
  double min_cleanable_dirty_ratio = 0.5;         // min.cleanable.dirty.ratio, [0, 1]
  std::int64_t min_compaction_lag_ms = 0;         // min.compaction.lag.ms
  std::int64_t max_compaction_lag_ms = no_limit;  // max.compaction.lag.ms
  std::int64_t delete_retention_ms = 86400000;    // delete.retention.ms (tombstones, markers)

  bool sync_before_ack() const { return flush_messages <= 1; }
  // Whether cleanup.policy includes compact / delete (a value the table refused never gets here).
  bool compact() const;
  bool delete_enabled() const;
  friend bool operator==(const log_config&, const log_config&) = default;
};

// cleanup.policy parsed: "delete", "compact", "compact,delete" or "delete,compact"; anything
// else (blanks included) is errc::invalid_config.
struct cleanup_policy_flags {
  bool compact = false;
  bool delete_enabled = false;
};
result<cleanup_policy_flags> parse_cleanup_policy(std::string_view value);

using config_overrides = std::map<std::string, std::string>;

// `base` with `overrides` applied. Names without a log_config field are ignored here (they are
// stored, or other layers own them); a value the table refuses, or one storage cannot act on, is
// errc::invalid_config.
result<log_config> apply_overrides(const log_config& base, const config_overrides& overrides);

}  // namespace spate::storage
