#pragma once
// The one mapping from module errors to Kafka wire error codes (tests/broker/error_mapping_test.cc
// checks it table by table).
#include "model/errc.h"
#include "protocol/error_code.h"
#include "storage/errc.h"

namespace spate::broker {

protocol::error_code to_wire(storage::errc e);
protocol::error_code to_wire(model::errc e);

inline std::int16_t wire_code(protocol::error_code e) { return static_cast<std::int16_t>(e); }
template <typename E>
std::int16_t wire_code(E e) {
  return wire_code(to_wire(e));
}

}  // namespace spate::broker
