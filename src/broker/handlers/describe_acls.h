#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_acls.h"

namespace spate::broker {

// DescribeAcls: the ACL bindings a filter matches, grouped by resource pattern as Kafka's
// response is. Needs DESCRIBE on the CLUSTER; SECURITY_DISABLED without `authorizer.enabled`;
// INVALID_REQUEST for a filter with an UNKNOWN component. Reads the store's snapshot: no I/O.
struct describe_acls_handler {
  using request = protocol::describe_acls_request;
  using response = protocol::describe_acls_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
