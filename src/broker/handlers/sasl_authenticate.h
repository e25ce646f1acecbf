#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/sasl_authenticate.h"

namespace spate::broker {

// SaslAuthenticate (KIP-152): one SASL token of the exchange SaslHandshake v1 started. A failure
// answers SASL_AUTHENTICATION_FAILED with Kafka's generic message, after a delay, and the
// connection is closed once the answer is written. session_lifetime_ms (v1+) is
// connections.max.reauth.ms, 0 when unset; a v1+ client re-authenticates before it ends (KIP-368,
// broker/sasl_session.h).
struct sasl_authenticate_handler {
  using request = protocol::sasl_authenticate_request;
  using response = protocol::sasl_authenticate_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
