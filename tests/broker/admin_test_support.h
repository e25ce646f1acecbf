#pragma once
// Helpers for the administration handler tests: one call from request struct to response struct.
#include <map>
#include <string>

#include "broker_test_support.h"
#include "protocol/error_code.h"

namespace spate::broker::testing {

template <typename Response, typename Request>
Response ask(broker& services, const Request& request, std::int16_t version) {
  auto frame = dispatch(services, request_frame(request, version));
  if (!frame) throw std::runtime_error("no response");
  return read_response<Response>(*frame, version);
}

inline std::int16_t code(protocol::error_code e) { return static_cast<std::int16_t>(e); }

}  // namespace spate::broker::testing
