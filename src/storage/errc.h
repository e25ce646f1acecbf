#pragma once
// Errors of the storage module, returned as values (result<T>) and passed to durability
// callbacks. The broker maps them to Kafka error codes in one place; the usual mapping is noted.
#include <cstdint>
#include <string_view>
#include <system_error>

#include "base/result.h"

namespace spate::storage {

enum class errc : std::uint8_t {
  success = 0,
  // start offset outside [log_start_offset, log_end_offset] (OFFSET_OUT_OF_RANGE).
  offset_out_of_range,
  // Batch framing wrong at append (CORRUPT_MESSAGE) — callers validate first, so this is a bug
  // upstream or garbage.
  corrupt_batch,
  // A batch larger than max.message.bytes (MESSAGE_TOO_LARGE).
  message_too_large,
  // An I/O call failed (KAFKA_STORAGE_ERROR). A failed write or fsync also puts the log into
  // the failed state.
  io_error,
  // The log failed earlier (a write or fsync error) and refuses all writes until it is recovered
  // (KAFKA_STORAGE_ERROR): in the background (log_manager::recover_failed_logs) or at the next
  // start. LevelDB's rule: never carry on after a failed fsync, the page cache may have dropped
  // the data.
  log_failed,
  // An open(2) failed with EMFILE/ENFILE (KAFKA_STORAGE_ERROR): an io_error whose cause the
  // operator can fix by raising the descriptor limit, so it gets its own message.
  too_many_open_files,
  // The log or its manager is closed or closing (NOT_LEADER_OR_FOLLOWER / KAFKA_STORAGE_ERROR).
  shutting_down,
  // On-disk state that recovery cannot repair by truncating the tail (KAFKA_STORAGE_ERROR).
  corrupt_log,
  // Log manager errors.
  topic_exists,                // TOPIC_ALREADY_EXISTS
  unknown_topic_or_partition,  // UNKNOWN_TOPIC_OR_PARTITION
  invalid_topic,               // INVALID_TOPIC_EXCEPTION
  invalid_partitions,          // INVALID_PARTITIONS
  invalid_config,              // INVALID_CONFIG
  // Another process holds the data directory's lock file.
  data_dir_locked,
  // Producer state checks at append (storage/producer_state.h).
  out_of_order_sequence,   // OUT_OF_ORDER_SEQUENCE_NUMBER
  invalid_producer_epoch,  // INVALID_PRODUCER_EPOCH (or PRODUCER_FENCED for markers/coordinators)
  invalid_txn_state,       // INVALID_TXN_STATE
};

template <typename T>
using result = base::result<T, errc>;

// The storage error for a failed system call: too_many_open_files for EMFILE/ENFILE (the
// operator's remedy differs), io_error otherwise. Also remembers `e` as this thread's
// last_os_error() so the line reporting a failed log can say what the system said ("No space
// left on device"), errno-style.
std::error_code& last_os_error();
inline errc from_os_error(const std::error_code& e) {
  last_os_error() = e;
  if (e == std::errc::too_many_files_open || e == std::errc::too_many_files_open_in_system)
    return errc::too_many_open_files;
  return errc::io_error;
}

constexpr std::string_view to_string(errc e) {
  switch (e) {
    case errc::success: return "success";
    case errc::offset_out_of_range: return "offset_out_of_range";
    case errc::corrupt_batch: return "corrupt_batch";
    case errc::message_too_large: return "message_too_large";
    case errc::io_error: return "io_error";
    case errc::log_failed: return "log_failed";
    case errc::too_many_open_files: return "too_many_open_files";
    case errc::shutting_down: return "shutting_down";
    case errc::corrupt_log: return "corrupt_log";
    case errc::topic_exists: return "topic_exists";
    case errc::unknown_topic_or_partition: return "unknown_topic_or_partition";
    case errc::invalid_topic: return "invalid_topic";
    case errc::invalid_partitions: return "invalid_partitions";
    case errc::invalid_config: return "invalid_config";
    case errc::data_dir_locked: return "data_dir_locked";
    case errc::out_of_order_sequence: return "out_of_order_sequence";
    case errc::invalid_producer_epoch: return "invalid_producer_epoch";
    case errc::invalid_txn_state: return "invalid_txn_state";
  }
  return "unknown";
}

}  // namespace spate::storage
