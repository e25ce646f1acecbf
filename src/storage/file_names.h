#pragma once
// On-disk names, as pure functions (Kafka's LogFileUtils, LevelDB's db/filename.h). The layout is
// Kafka's, so operators' tools (kafka-dump-log.sh, du by partition) carry over:
//
//   <data>/<topic>-<partition>/00000000000000000000.log        record batches as received
//   <data>/<topic>-<partition>/00000000000000000000.index      sparse offset -> position
//   <data>/<topic>-<partition>/00000000000000000000.timeindex  sparse timestamp -> offset
//   <data>/<topic>-<partition>/partition.metadata              topic id (Kafka's format)
//   <data>/<topic>-<partition>.<id>-delete/                    a deleted partition, removed async
//   <data>/recovery-point-offset-checkpoint, log-start-offset-checkpoint, .kafka_cleanshutdown,
//   <data>/.lock, <data>/spate-topics.json
// docs/storage-format.md describes each file.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/topic_partition.h"

namespace spate::storage {

inline constexpr std::string_view log_suffix = ".log";
inline constexpr std::string_view index_suffix = ".index";
inline constexpr std::string_view time_index_suffix = ".timeindex";
// Aborted transactions of a segment (transaction_index.h) and producer-state snapshots
// (producer_state.h), named by offset like segments.
inline constexpr std::string_view txn_index_suffix = ".txnindex";
inline constexpr std::string_view snapshot_suffix = ".snapshot";
inline constexpr std::string_view delete_dir_suffix = "-delete";
inline constexpr std::string_view clean_shutdown_file = ".kafka_cleanshutdown";
inline constexpr std::string_view lock_file = ".lock";
inline constexpr std::string_view topics_file = "spate-topics.json";
inline constexpr std::string_view recovery_point_checkpoint_file = "recovery-point-offset-checkpoint";
inline constexpr std::string_view log_start_offset_checkpoint_file = "log-start-offset-checkpoint";
// The log cleaner's first dirty offset per compacted partition (log_cleaner.h).
inline constexpr std::string_view cleaner_checkpoint_file = "cleaner-offset-checkpoint";
inline constexpr std::string_view partition_metadata_file = "partition.metadata";

// 20 digits, zero-padded: 42 -> "00000000000000000042".
std::string offset_file_stem(std::int64_t base_offset);
std::string log_file_name(std::int64_t base_offset);
std::string index_file_name(std::int64_t base_offset);
std::string time_index_file_name(std::int64_t base_offset);
std::string txn_index_file_name(std::int64_t base_offset);
std::string snapshot_file_name(std::int64_t offset);

// "<topic>-<partition>".
std::string partition_dir_name(std::string_view topic, std::int32_t partition);
// "<topic>-<partition>.<unique>-delete".
std::string delete_dir_name(std::string_view topic, std::int32_t partition, std::string_view unique);

// The base offset named by "<20 digits><suffix>", or nullopt when `name` is not such a name.
std::optional<std::int64_t> parse_segment_file_name(std::string_view name, std::string_view suffix);

// Inverse of partition_dir_name (the partition is after the last '-'); nullopt for other names,
// including deleted-partition directories.
std::optional<model::topic_partition> parse_partition_dir_name(std::string_view name);
bool is_delete_dir_name(std::string_view name);

}  // namespace spate::storage
