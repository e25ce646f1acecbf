#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/sync_group.h"

namespace spate::broker {

// SyncGroup: the leader hands in the assignment, every member receives its own (held until the
// leader's arrives). v3+ carry group.instance.id; v5+ carry protocol type and name, which must
// match the group's (INCONSISTENT_GROUP_PROTOCOL when absent or different).
struct sync_group_handler {
  using request = protocol::sync_group_request;
  using response = protocol::sync_group_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
