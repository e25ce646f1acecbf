#pragma once
// The group coordinator's mapping of a failed __consumer_offsets append to the error its answer
// carries (OffsetCommit, TxnOffsetCommit, SyncGroup, a static member's rejoin, DeleteGroups,
// OffsetDelete). It differs from the data path's (broker/error_mapping.h) because a client of the
// coordinator must look for the coordinator again, not for a partition leader.
// tests/broker/error_mapping_test.cc checks it beside the other two mappings. Pure, thread-safe.
#include "protocol/error_code.h"
#include "storage/errc.h"

namespace spate::group {

protocol::error_code append_error(storage::errc e);

}  // namespace spate::group
