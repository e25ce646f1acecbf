#include "txn/append_error.h"

namespace spate::txn {

using protocol::error_code;

// Kafka's TransactionStateManager.appendTransactionToLog maps the log's append errors:
// UNKNOWN_TOPIC_OR_PARTITION / NOT_ENOUGH_REPLICAS / REQUEST_TIMED_OUT ->
// COORDINATOR_NOT_AVAILABLE; NOT_LEADER_OR_FOLLOWER / KAFKA_STORAGE_ERROR -> NOT_COORDINATOR;
// anything else (MESSAGE_TOO_LARGE included) -> UNKNOWN_SERVER_ERROR. No default branch: a new
// storage::errc must be decided here (-Wswitch).
error_code append_error(storage::errc e) {
  using storage::errc;
  switch (e) {
    case errc::success: return error_code::none;
    case errc::unknown_topic_or_partition: return error_code::coordinator_not_available;
    // KAFKA_STORAGE_ERROR on the data path, and a closing log (NOT_LEADER_OR_FOLLOWER there).
    case errc::io_error:
    case errc::log_failed:
    case errc::too_many_open_files:
    case errc::corrupt_log:
    case errc::data_dir_locked:
    case errc::shutting_down: return error_code::not_coordinator;
    case errc::offset_out_of_range:
    case errc::corrupt_batch:
    case errc::message_too_large:
    case errc::topic_exists:
    case errc::invalid_topic:
    case errc::invalid_partitions:
    case errc::invalid_config:
    case errc::out_of_order_sequence:
    case errc::invalid_producer_epoch:
    case errc::invalid_txn_state: return error_code::unknown_server_error;
  }
  return error_code::unknown_server_error;
}

}  // namespace spate::txn
