#include "broker/error_mapping.h"

namespace spate::broker {

using protocol::error_code;

// As Kafka's ReplicaManager answers Produce and Fetch: a failed disk is KAFKA_STORAGE_ERROR (the
// client retries and refreshes metadata). No default branch: a new storage::errc must be decided
// here (-Wswitch).
error_code to_wire(storage::errc e) {
  using storage::errc;
  switch (e) {
    case errc::success: return error_code::none;
    case errc::offset_out_of_range: return error_code::offset_out_of_range;
    case errc::corrupt_batch: return error_code::corrupt_message;
    case errc::message_too_large: return error_code::message_too_large;
    case errc::io_error:
    case errc::log_failed:
    case errc::too_many_open_files:
    case errc::corrupt_log:
    case errc::data_dir_locked: return error_code::kafka_storage_error;
    // A closing log is what a follower-less leader that is going away looks like to a client:
    // retriable, and the client refreshes metadata.
    case errc::shutting_down: return error_code::not_leader_or_follower;
    case errc::topic_exists: return error_code::topic_already_exists;
    case errc::unknown_topic_or_partition: return error_code::unknown_topic_or_partition;
    case errc::invalid_topic: return error_code::invalid_topic_exception;
    case errc::invalid_partitions: return error_code::invalid_partitions;
    case errc::invalid_config: return error_code::invalid_config;
    case errc::out_of_order_sequence: return error_code::out_of_order_sequence_number;
    case errc::invalid_producer_epoch: return error_code::invalid_producer_epoch;
    case errc::invalid_txn_state: return error_code::invalid_txn_state;
  }
  return error_code::unknown_server_error;
}

error_code to_wire(model::errc e) {
  using model::errc;
  switch (e) {
    case errc::truncated:
    case errc::corrupt_message:
    case errc::decompression_failed:
    case errc::output_too_large: return error_code::corrupt_message;
    case errc::unsupported_magic:
    case errc::invalid_record: return error_code::invalid_record;
    case errc::unsupported_compression: return error_code::unsupported_compression_type;
  }
  return error_code::unknown_server_error;
}

error_code to_wire(security::errc e) {
  using security::errc;
  switch (e) {
    case errc::authentication_failed: return error_code::sasl_authentication_failed;
    case errc::illegal_sasl_state: return error_code::illegal_sasl_state;
    case errc::unsupported_mechanism: return error_code::unsupported_sasl_mechanism;
    case errc::unacceptable_credential: return error_code::unacceptable_credential;
    case errc::duplicate_resource: return error_code::duplicate_resource;
    case errc::resource_not_found: return error_code::resource_not_found;
    case errc::invalid_request: return error_code::invalid_request;
    case errc::corrupt_file:
    case errc::io_error:
    case errc::invalid_config:
    case errc::no_matching_rule: return error_code::unknown_server_error;
  }
  return error_code::unknown_server_error;
}

}  // namespace spate::broker
