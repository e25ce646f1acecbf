#pragma once
// One connection's authentication (Kafka's SaslServerAuthenticator as a state machine, without
// I/O): which requests it may send, the SASL exchange in progress, and the principal once
// authenticated. Lives in net::connection_info::session; not thread-safe (one connection, one
// event loop).
//
//   handshake ──SaslHandshake(enabled mechanism)──> authenticate ──exchange complete──> authenticated
//      │                                              │ (v0 handshake: raw tokens, no headers)
//      └── ApiVersions is served in either state      └── failure ──> failed (answer, then close)
//
// Before authentication only ApiVersions, SaslHandshake and SaslAuthenticate are served; any
// other request closes the connection (Kafka: IllegalSaslStateException, "Unexpected Kafka request
// of type X during SASL handshake").
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "broker/sasl_authenticator.h"
#include "protocol/api_key.h"
#include "protocol/error_code.h"

namespace spate::broker {

class sasl_session {
 public:
  enum class state : std::uint8_t { handshake, authenticate, authenticated, failed };

  // A connection of a SASL_PLAINTEXT or SASL_SSL listener starts in `handshake`.
  sasl_session() = default;

  state current() const { return _state; }
  bool authenticated() const { return _state == state::authenticated; }
  // "User:alice" once authenticated; empty before.
  const std::string& principal() const { return _principal; }
  const std::string& mechanism() const { return _mechanism; }

  // Whether a request of `key` may be served now.
  bool allows(protocol::api_key key) const;
  // After a v0 SaslHandshake, the client's next frames are raw SASL tokens (no request header),
  // answered by raw tokens, until the exchange ends.
  bool expects_raw_token() const { return _state == state::authenticate && _raw_tokens; }

  // SaslHandshake: ILLEGAL_SASL_STATE out of turn, UNSUPPORTED_SASL_MECHANISM for a mechanism that
  // is not enabled, else none (and the exchange starts).
  protocol::error_code handshake(std::string_view mechanism, std::int16_t version, const sasl_authenticator& sasl);

  struct step_result {
    protocol::error_code error = protocol::error_code::none;
    std::string message;         // the client-facing error message (generic for a failure)
    std::string token;           // the server's token to send back
    std::string failure_reason;  // why it failed, for the log only
  };
  // One client token (SaslAuthenticate's auth_bytes, or a raw token). ILLEGAL_SASL_STATE out of
  // turn; SASL_AUTHENTICATION_FAILED (state failed) when the exchange fails.
  step_result authenticate(std::string_view token);

 private:
  state _state = state::handshake;
  bool _raw_tokens = false;
  std::string _mechanism;
  std::unique_ptr<sasl_exchange> _exchange;
  std::string _principal;
};

}  // namespace spate::broker
