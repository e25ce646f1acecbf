#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/heartbeat.h"

namespace spate::broker {

// Heartbeat: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin. v3+ carry
// group.instance.id.
struct heartbeat_handler {
  using request = protocol::heartbeat_request;
  using response = protocol::heartbeat_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
