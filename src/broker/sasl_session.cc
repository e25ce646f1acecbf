#include "broker/sasl_session.h"

namespace spate::broker {

bool sasl_session::allows(protocol::api_key key) const {
  using protocol::api_key;
  if (_state == state::authenticated) return true;
  if (_state == state::failed) return false;
  return key == api_key::api_versions || key == api_key::sasl_handshake || key == api_key::sasl_authenticate;
}

protocol::error_code sasl_session::handshake(std::string_view mechanism, std::int16_t version,
                                             const sasl_authenticator& sasl) {
  const bool reauthentication = _state == state::authenticated;
  if (reauthentication) {
    // Kafka answers ILLEGAL_SASL_STATE (KafkaApis) to a client that cannot re-authenticate, and
    // keeps the connection until its session expires.
    if (!_can_reauthenticate || version == 0) return protocol::error_code::illegal_sasl_state;
    if (mechanism != _mechanism) {
      _state = state::failed;
      return protocol::error_code::illegal_sasl_state;
    }
  } else if (_state != state::handshake) {
    return protocol::error_code::illegal_sasl_state;
  }
  auto exchange = sasl.start(mechanism);
  if (!exchange) return protocol::error_code::unsupported_sasl_mechanism;
  _exchange = std::move(exchange);
  _mechanism = std::string(mechanism);
  _raw_tokens = version == 0;
  _reauthenticating = reauthentication;
  _state = state::authenticate;
  return protocol::error_code::none;
}

void sasl_session::fail(step_result& out) {
  out.error = protocol::error_code::sasl_authentication_failed;
  _state = state::failed;
  _reauthenticating = false;
  _exchange.reset();
}

sasl_session::step_result sasl_session::authenticate(std::string_view token) {
  return authenticate(token, completion_terms{});
}

sasl_session::step_result sasl_session::authenticate(std::string_view token, const completion_terms& terms) {
  step_result out;
  if (_state != state::authenticate) {
    out.error = protocol::error_code::illegal_sasl_state;
    out.message = _state == state::handshake ? "Unexpected SaslAuthenticate before SaslHandshake"
                                             : "Unexpected SaslAuthenticate after authentication";
    return out;
  }
  auto reply = _exchange->step(token);
  if (!reply) {
    const bool out_of_turn = reply.error().code == security::errc::illegal_sasl_state;
    // Kafka's message for the mechanism, the same whatever the cause (wrong password or unknown
    // user: the exchange never says why to the client).
    out.message = reply.error().message;
    out.failure_reason = _exchange->failure_reason();
    if (out.failure_reason.empty()) out.failure_reason = reply.error().message;
    fail(out);
    if (out_of_turn) out.error = protocol::error_code::illegal_sasl_state;
    return out;
  }
  out.token = std::move(*reply);
  if (!_exchange->complete()) return out;

  auto principal = "User:" + _exchange->username();
  if (_reauthenticating && principal != _principal) {
    // Kafka (SaslServerAuthenticator.ReauthInfo): the same message, then the connection closes.
    out.message = "Cannot change principals during re-authentication from " + _principal + ": " + principal;
    out.failure_reason = out.message;
    out.token.clear();
    fail(out);
    return out;
  }
  out.reauthenticated = _reauthenticating;
  // Requests in flight hold a view of _principal: a re-authentication leaves it untouched.
  if (!_reauthenticating) _principal = std::move(principal);
  _state = state::authenticated;
  _reauthenticating = false;
  _can_reauthenticate = terms.can_reauthenticate;
  _exchange.reset();
  out.session_lifetime_ms = terms.max_lifetime_ms;
  _expires_at_ms = terms.max_lifetime_ms > 0 ? terms.now_ms + terms.max_lifetime_ms : 0;
  return out;
}

}  // namespace spate::broker
