#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/sasl_handshake.h"

namespace spate::broker {

// SaslHandshake: picks the connection's SASL mechanism and lists the enabled ones. v0 is followed
// by raw SASL tokens (no Kafka header), v1 by SaslAuthenticate requests. ILLEGAL_SASL_STATE on a
// PLAINTEXT listener or out of turn; UNSUPPORTED_SASL_MECHANISM for a mechanism not enabled.
struct sasl_handshake_handler {
  using request = protocol::sasl_handshake_request;
  using response = protocol::sasl_handshake_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
