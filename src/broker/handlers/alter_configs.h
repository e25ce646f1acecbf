#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/alter_configs.h"

namespace spate::broker {

// AlterConfigs (the non-incremental one): a TOPIC resource's configs replace all its overrides
// (configs not named revert to the defaults). Values are validated with the topic-config
// catalogue; one bad entry fails the resource and changes nothing. BROKER resources: see
// alter_configs_resource_error().
struct alter_configs_handler {
  using request = protocol::alter_configs_request;
  using response = protocol::alter_configs_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
