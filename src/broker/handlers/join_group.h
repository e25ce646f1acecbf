#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/join_group.h"

namespace spate::broker {

// JoinGroup: a member (re)joins a consumer group; the answer may be held until the rebalance's
// join phase ends. v0 has no rebalance timeout (the session timeout stands in); v4+ first joins
// get MEMBER_ID_REQUIRED with a member id to rejoin with; v5+ carry group.instance.id (static
// membership); v7+ answer the protocol type and a nullable protocol name; v9+ may skip the
// leader's assignment.
struct join_group_handler {
  using request = protocol::join_group_request;
  using response = protocol::join_group_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 9;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
