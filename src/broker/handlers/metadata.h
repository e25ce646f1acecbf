#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/metadata.h"

namespace spate::broker {

// Metadata: this broker, the cluster id and controller, and topics with their partitions.
// Missing topics asked for by name are created when both the broker (auto.create.topics.enable)
// and the client (allow_auto_topic_creation, v4+) allow it.
struct metadata_handler {
  using request = protocol::metadata_request;
  using response = protocol::metadata_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 12;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
