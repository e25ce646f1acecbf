#include "txn/api_errors.h"

#include <gtest/gtest.h>

namespace spate::txn {
namespace {

using protocol::api_key;
using protocol::error_code;

struct rule {
  api_key api;
  std::int16_t version;
  error_code from;
  error_code to;
};

TEST(response_error, maps_new_codes_for_old_request_versions_as_kafka_does) {
  const rule rules[] = {
      // KIP-588: PRODUCER_FENCED from these versions on; INVALID_PRODUCER_EPOCH before.
      {api_key::init_producer_id, 3, error_code::producer_fenced, error_code::invalid_producer_epoch},
      {api_key::init_producer_id, 4, error_code::producer_fenced, error_code::producer_fenced},
      {api_key::init_producer_id, 0, error_code::concurrent_transactions, error_code::concurrent_transactions},
      {api_key::add_partitions_to_txn, 1, error_code::producer_fenced, error_code::invalid_producer_epoch},
      {api_key::add_partitions_to_txn, 2, error_code::producer_fenced, error_code::producer_fenced},
      {api_key::add_offsets_to_txn, 0, error_code::producer_fenced, error_code::invalid_producer_epoch},
      {api_key::add_offsets_to_txn, 2, error_code::producer_fenced, error_code::producer_fenced},
      {api_key::end_txn, 1, error_code::producer_fenced, error_code::invalid_producer_epoch},
      {api_key::end_txn, 2, error_code::producer_fenced, error_code::producer_fenced},
      {api_key::end_txn, 0, error_code::invalid_txn_state, error_code::invalid_txn_state},
      // TxnOffsetCommit never had PRODUCER_FENCED; before v2 no COORDINATOR_LOAD_IN_PROGRESS.
      {api_key::txn_offset_commit, 4, error_code::producer_fenced, error_code::invalid_producer_epoch},
      {api_key::txn_offset_commit, 1, error_code::coordinator_load_in_progress, error_code::coordinator_not_available},
      {api_key::txn_offset_commit, 2, error_code::coordinator_load_in_progress, error_code::coordinator_load_in_progress},
      // Other APIs pass through.
      {api_key::produce, 0, error_code::producer_fenced, error_code::producer_fenced},
      {api_key::init_producer_id, 0, error_code::coordinator_load_in_progress, error_code::coordinator_load_in_progress},
  };
  for (const auto& r : rules) {
    EXPECT_EQ(response_error(r.api, r.version, r.from), r.to)
        << protocol::api_name(r.api) << " v" << r.version << " " << protocol::error_name(r.from);
  }
}

TEST(response_error, partitions_not_at_fault_are_not_attempted) {
  const auto out = not_attempted_except_failed(
      {error_code::none, error_code::unknown_topic_or_partition, error_code::none, error_code::topic_authorization_failed});
  EXPECT_EQ(out, (std::vector<error_code>{error_code::operation_not_attempted, error_code::unknown_topic_or_partition,
                                          error_code::operation_not_attempted, error_code::topic_authorization_failed}));
}

}  // namespace
}  // namespace spate::txn
