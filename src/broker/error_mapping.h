#pragma once
// The data path's mapping from module errors to Kafka wire error codes (Produce, Fetch,
// ListOffsets, the admin APIs). The coordinators answer their own clients differently
// (group/append_error.h, txn/append_error.h); tests/broker/error_mapping_test.cc checks all three
// in one table, one row per storage::errc.
#include "model/errc.h"
#include "protocol/error_code.h"
#include "security/errc.h"
#include "storage/errc.h"

namespace spate::broker {

protocol::error_code to_wire(storage::errc e);
protocol::error_code to_wire(model::errc e);
protocol::error_code to_wire(security::errc e);

inline std::int16_t wire_code(protocol::error_code e) { return static_cast<std::int16_t>(e); }
template <typename E>
std::int16_t wire_code(E e) {
  return wire_code(to_wire(e));
}

}  // namespace spate::broker
