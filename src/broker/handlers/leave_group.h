#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/leave_group.h"

namespace spate::broker {

// LeaveGroup: members leave a group. v0-v2 name one member and answer one error; v3+ batch
// members (by member id or group.instance.id) and answer an error per member.
struct leave_group_handler {
  using request = protocol::leave_group_request;
  using response = protocol::leave_group_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
