#pragma once
// One client SASL token through the connection's session, shared by SaslAuthenticate and the raw
// tokens that follow a v0 SaslHandshake: logs the outcome (one line, never a secret), counts it,
// and for a failure waits the peer's failure delay (sasl_authenticator::record_failure) and asks
// the connection to close once the answer is written, as Kafka does.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "broker/request_context.h"
#include "broker/sasl_session.h"

namespace spate::broker {

boost::asio::awaitable<sasl_session::step_result> sasl_step(request_context& ctx, sasl_session& session,
                                                            std::string_view token);

}  // namespace spate::broker
