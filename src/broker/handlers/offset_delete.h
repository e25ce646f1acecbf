#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/offset_delete.h"

namespace spate::broker {

// OffsetDelete: removes a group's committed offsets for partitions it no longer consumes
// (GROUP_SUBSCRIBED_TO_TOPIC for topics its members still subscribe to). Partitions that do not
// exist get UNKNOWN_TOPIC_OR_PARTITION; a group-level error is answered alone.
struct offset_delete_handler {
  using request = protocol::offset_delete_request;
  using response = protocol::offset_delete_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
