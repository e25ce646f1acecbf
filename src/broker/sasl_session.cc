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
  if (_state != state::handshake) return protocol::error_code::illegal_sasl_state;
  auto exchange = sasl.start(mechanism);
  if (!exchange) return protocol::error_code::unsupported_sasl_mechanism;
  _exchange = std::move(exchange);
  _mechanism = std::string(mechanism);
  _raw_tokens = version == 0;
  _state = state::authenticate;
  return protocol::error_code::none;
}

sasl_session::step_result sasl_session::authenticate(std::string_view token) {
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
    out.error =
        out_of_turn ? protocol::error_code::illegal_sasl_state : protocol::error_code::sasl_authentication_failed;
    // Kafka's message for the mechanism, the same whatever the cause (wrong password or unknown
    // user: the exchange never says why to the client).
    out.message = reply.error().message;
    out.failure_reason = _exchange->failure_reason();
    if (out.failure_reason.empty()) out.failure_reason = reply.error().message;
    _state = state::failed;
    _exchange.reset();
    return out;
  }
  out.token = std::move(*reply);
  if (_exchange->complete()) {
    _principal = "User:" + _exchange->username();
    _state = state::authenticated;
    _exchange.reset();
  }
  return out;
}

}  // namespace spate::broker
