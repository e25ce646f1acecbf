#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/list_groups.h"

namespace spate::broker {

// ListGroups: every group this coordinator knows. v4+ filter by state and report it; v5+ filter
// by type and report it (spate has only classic groups).
struct list_groups_handler {
  using request = protocol::list_groups_request;
  using response = protocol::list_groups_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
