#pragma once
// The transaction coordinator's mapping of a failed __transaction_state append to the error its
// answer carries (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn).
// tests/broker/error_mapping_test.cc checks it beside the data path's and the group
// coordinator's. Pure, thread-safe.
#include "protocol/error_code.h"
#include "storage/errc.h"

namespace spate::txn {

protocol::error_code append_error(storage::errc e);

}  // namespace spate::txn
