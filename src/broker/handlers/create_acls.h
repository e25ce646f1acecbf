#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/create_acls.h"

namespace spate::broker {

// CreateAcls: stores ACL bindings in acls.json (on the blocking pool) and publishes them to the
// authorizer. Needs ALTER on the CLUSTER; SECURITY_DISABLED without `authorizer.enabled`. Each
// creation has its own result: INVALID_REQUEST with Kafka's message for a binding Kafka refuses
// (a filter-only value such as pattern type ANY or MATCH, an unknown code, an empty name); the
// valid ones are stored even so. Creating an existing binding succeeds and changes nothing.
struct create_acls_handler {
  using request = protocol::create_acls_request;
  using response = protocol::create_acls_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
