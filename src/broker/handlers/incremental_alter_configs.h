#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/incremental_alter_configs.h"

namespace spate::broker {

// IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT (the last two on LIST configs such as
// cleanup.policy, starting from the current value, override or default) applied to a TOPIC
// resource's overrides; untouched overrides stay. One bad entry fails the resource and changes
// nothing. BROKER resources: see alter_configs_resource_error().
struct incremental_alter_configs_handler {
  using request = protocol::incremental_alter_configs_request;
  using response = protocol::incremental_alter_configs_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
