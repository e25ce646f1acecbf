#pragma once
// One client SASL token through the connection's session, shared by SaslAuthenticate and the raw
// tokens that follow a v0 SaslHandshake: logs the outcome (one line, never a secret), counts it,
// and for a failure waits the peer's failure delay (sasl_authenticator::record_failure) and asks
// the connection to close once the answer is written, as Kafka does. `can_reauthenticate`: the
// token came in SaslAuthenticate v1+ (sasl_session::completion_terms).
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string_view>

#include "broker/request_context.h"
#include "broker/sasl_session.h"

namespace spate::broker {

// The monotonic milliseconds that session lifetimes are measured in (never jumps with the wall clock).
std::int64_t sasl_clock_ms();

boost::asio::awaitable<sasl_session::step_result> sasl_step(request_context& ctx, sasl_session& session,
                                                            std::string_view token, bool can_reauthenticate);

}  // namespace spate::broker
