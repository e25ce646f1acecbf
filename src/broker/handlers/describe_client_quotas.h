#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_client_quotas.h"

namespace spate::broker {

// DescribeClientQuotas (KIP-546): the quota entities matching every component filter (exact name,
// the default, or any), only those with no other component when `strict`, with their values.
struct describe_client_quotas_handler {
  using request = protocol::describe_client_quotas_request;
  using response = protocol::describe_client_quotas_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
