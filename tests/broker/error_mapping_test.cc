// The three mappings of a storage error to a wire error, side by side: the data path's
// (broker/error_mapping.h), the group coordinator's (group/append_error.h) and the transaction
// coordinator's (txn/append_error.h). One row per storage::errc; a new errc must get a row here.
#include <gtest/gtest.h>

#include <set>

#include "broker/error_mapping.h"
#include "group/append_error.h"
#include "txn/append_error.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using storage::errc;

struct row {
  errc storage;
  error_code data_path;  // Produce, Fetch, ListOffsets, admin APIs
  error_code group;      // the group coordinator's appends to __consumer_offsets
  error_code txn;        // the transaction coordinator's appends to __transaction_state
};

constexpr error_code none = error_code::none;
constexpr error_code storage_error = error_code::kafka_storage_error;
constexpr error_code not_coordinator = error_code::not_coordinator;
constexpr error_code unknown = error_code::unknown_server_error;

const row rows[] = {
    {errc::success, none, none, none},
    {errc::offset_out_of_range, error_code::offset_out_of_range, unknown, unknown},
    {errc::corrupt_batch, error_code::corrupt_message, unknown, unknown},
    {errc::message_too_large, error_code::message_too_large, error_code::invalid_commit_offset_size, unknown},
    {errc::io_error, storage_error, not_coordinator, not_coordinator},
    {errc::log_failed, storage_error, not_coordinator, not_coordinator},
    {errc::too_many_open_files, storage_error, not_coordinator, not_coordinator},
    {errc::shutting_down, error_code::not_leader_or_follower, not_coordinator, not_coordinator},
    {errc::corrupt_log, storage_error, not_coordinator, not_coordinator},
    {errc::topic_exists, error_code::topic_already_exists, unknown, unknown},
    {errc::unknown_topic_or_partition, error_code::unknown_topic_or_partition, error_code::coordinator_not_available,
     error_code::coordinator_not_available},
    {errc::invalid_topic, error_code::invalid_topic_exception, unknown, unknown},
    {errc::invalid_partitions, error_code::invalid_partitions, unknown, unknown},
    {errc::invalid_config, error_code::invalid_config, unknown, unknown},
    {errc::data_dir_locked, storage_error, not_coordinator, not_coordinator},
    {errc::out_of_order_sequence, error_code::out_of_order_sequence_number, unknown, unknown},
    {errc::invalid_producer_epoch, error_code::invalid_producer_epoch, error_code::producer_fenced, unknown},
    {errc::invalid_txn_state, error_code::invalid_txn_state, error_code::invalid_txn_state, unknown},
};

TEST(error_mapping, each_context_maps_every_storage_error_as_kafka_does) {
  for (const auto& r : rows) {
    const auto name = storage::to_string(r.storage);
    EXPECT_EQ(to_wire(r.storage), r.data_path) << name;
    EXPECT_EQ(group::append_error(r.storage), r.group) << name;
    EXPECT_EQ(txn::append_error(r.storage), r.txn) << name;
  }
}

TEST(error_mapping, the_table_has_one_row_per_storage_error) {
  // storage::errc counts up from 0; to_string() names every value and nothing past the last.
  std::set<errc> listed;
  for (const auto& r : rows) EXPECT_TRUE(listed.insert(r.storage).second) << storage::to_string(r.storage);
  std::size_t values = 0;
  while (storage::to_string(static_cast<errc>(values)) != "unknown") ++values;
  EXPECT_EQ(listed.size(), values);
}

TEST(error_mapping, model_errors_map_to_the_data_path_codes) {
  EXPECT_EQ(to_wire(model::errc::truncated), error_code::corrupt_message);
  EXPECT_EQ(to_wire(model::errc::decompression_failed), error_code::corrupt_message);
  EXPECT_EQ(to_wire(model::errc::output_too_large), error_code::corrupt_message);
  EXPECT_EQ(to_wire(model::errc::corrupt_message), error_code::corrupt_message);
  EXPECT_EQ(to_wire(model::errc::unsupported_magic), error_code::invalid_record);
  EXPECT_EQ(to_wire(model::errc::invalid_record), error_code::invalid_record);
  EXPECT_EQ(to_wire(model::errc::unsupported_compression), error_code::unsupported_compression_type);
}

}  // namespace
}  // namespace spate::broker
