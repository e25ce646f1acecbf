#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/create_partitions.h"

namespace spate::broker {

// CreatePartitions: grows a topic to `count` partitions (INVALID_PARTITIONS unless more than now).
// Manual assignments are accepted when every new partition is placed on this broker alone.
struct create_partitions_handler {
  using request = protocol::create_partitions_request;
  using response = protocol::create_partitions_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
