#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_configs.h"

namespace spate::broker {

// DescribeConfigs: TOPIC resources (every topic config with its value and source — TOPIC_CONFIG for
// an override, STATIC_BROKER_CONFIG when the broker's log.* setting was configured, else
// DEFAULT_CONFIG) and BROKER resources (this broker's effective settings, all read-only; the empty
// name asks for cluster-wide dynamic defaults, of which we have none). Synonyms v1+, config types
// and documentation v3+.
struct describe_configs_handler {
  using request = protocol::describe_configs_request;
  using response = protocol::describe_configs_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
