#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/delete_acls.h"

namespace spate::broker {

// DeleteAcls: deletes every binding each filter matches (acls.json rewritten on the blocking
// pool) and lists them per filter. Needs ALTER on the CLUSTER; SECURITY_DISABLED without
// `authorizer.enabled`; INVALID_REQUEST for a filter with an UNKNOWN component.
struct delete_acls_handler {
  using request = protocol::delete_acls_request;
  using response = protocol::delete_acls_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
