#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_groups.h"

namespace spate::broker {

// DescribeGroups: state, protocol and members of groups (an unknown group is Dead, with no
// error, as in Kafka). v3+ may ask for the operations allowed (all: there is no authorizer); v4+
// report members' group.instance.id.
struct describe_groups_handler {
  using request = protocol::describe_groups_request;
  using response = protocol::describe_groups_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
