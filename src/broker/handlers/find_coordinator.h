#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/find_coordinator.h"

namespace spate::broker {

// FindCoordinator: which broker coordinates a consumer group or a transactional id. On a single
// broker that is always this one for groups, including the empty group id (Kafka accepts it: old
// clients commit and fetch offsets under it, KAFKA-6773); transactions are not coordinated yet
// (COORDINATOR_NOT_AVAILABLE, retriable). Batched keys (v4+) get one entry each.
struct find_coordinator_handler {
  using request = protocol::find_coordinator_request;
  using response = protocol::find_coordinator_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
