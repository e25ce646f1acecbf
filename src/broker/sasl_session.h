#pragma once
// One connection's authentication (Kafka's SaslServerAuthenticator as a state machine, without
// I/O): which requests it may send, the SASL exchange in progress, the principal once
// authenticated, and when that authentication expires (KIP-368). Lives in
// net::connection_info::session; not thread-safe (one connection, one event loop). Time is passed
// in (milliseconds of a monotonic clock), so tests move it by hand.
//
//   handshake ──SaslHandshake(enabled mechanism)──> authenticate ──exchange complete──> authenticated
//      │                                              │ (v0 handshake: raw tokens, no headers)
//      └── ApiVersions is served in either state      └── failure ──> failed (answer, then close)
//
//   authenticated ──SaslHandshake v1+ (same mechanism)──> authenticate (re-authentication)
//
// Before authentication only ApiVersions, SaslHandshake and SaslAuthenticate are served; any
// other request closes the connection (Kafka: IllegalSaslStateException, "Unexpected Kafka request
// of type X during SASL handshake").
//
// Re-authentication (KIP-368): with connections.max.reauth.ms set, a session lasts that long (the
// lifetime is reported in SaslAuthenticate v1+). A client that authenticated with SaslAuthenticate
// v1+ may authenticate again on the same connection with the same mechanism; it must prove the
// same principal, else it fails and the connection closes. The principal stays that of the first
// authentication meanwhile, so requests already in flight keep it. Once the session has expired,
// any request but SaslHandshake closes the connection (Kafka: "Disconnecting expired channel").
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
  // Whether the exchange in progress re-authenticates an authenticated connection.
  bool reauthenticating() const { return _reauthenticating; }
  // "User:alice" once authenticated; empty before. Unchanged by a re-authentication.
  const std::string& principal() const { return _principal; }
  const std::string& mechanism() const { return _mechanism; }

  // Whether a request of `key` may be served now (expiry aside: see expired()).
  bool allows(protocol::api_key key) const;
  // Whether the authenticated session's lifetime has passed at `now_ms` (never without a lifetime).
  bool expired(std::int64_t now_ms) const {
    return _state == state::authenticated && _expires_at_ms != 0 && now_ms >= _expires_at_ms;
  }
  // After a v0 SaslHandshake, the client's next frames are raw SASL tokens (no request header),
  // answered by raw tokens, until the exchange ends.
  bool expects_raw_token() const { return _state == state::authenticate && _raw_tokens; }

  // SaslHandshake: ILLEGAL_SASL_STATE out of turn (also on an authenticated connection whose client
  // cannot re-authenticate), UNSUPPORTED_SASL_MECHANISM for a mechanism that is not enabled, else
  // none (and the exchange starts). A re-authentication that changes mechanism answers
  // ILLEGAL_SASL_STATE and fails the session (state failed: close after answering).
  protocol::error_code handshake(std::string_view mechanism, std::int16_t version, const sasl_authenticator& sasl);

  // What the session needs to know when an exchange completes.
  struct completion_terms {
    std::int64_t now_ms = 0;
    // connections.max.reauth.ms (SCRAM and PLAIN credentials have no lifetime of their own); 0: the
    // session never expires.
    std::int64_t max_lifetime_ms = 0;
    // The token came in SaslAuthenticate v1+, whose clients know the lifetime and may re-authenticate.
    bool can_reauthenticate = false;
  };

  struct step_result {
    protocol::error_code error = protocol::error_code::none;
    std::string message;         // the client-facing error message (generic for a failure)
    std::string token;           // the server's token to send back
    std::string failure_reason;  // why it failed, for the log only
    // Once complete: the session's lifetime to report (0: none), and whether it re-authenticated.
    std::int64_t session_lifetime_ms = 0;
    bool reauthenticated = false;
  };
  // One client token (SaslAuthenticate's auth_bytes, or a raw token). ILLEGAL_SASL_STATE out of
  // turn; SASL_AUTHENTICATION_FAILED (state failed) when the exchange fails or a
  // re-authentication proves another principal.
  step_result authenticate(std::string_view token, const completion_terms& terms);
  // With no lifetime and no re-authentication (tests of the exchange alone).
  step_result authenticate(std::string_view token);

 private:
  void fail(step_result& out);

  state _state = state::handshake;
  bool _raw_tokens = false;
  bool _reauthenticating = false;
  bool _can_reauthenticate = false;
  std::int64_t _expires_at_ms = 0;  // 0: never
  std::string _mechanism;
  std::unique_ptr<sasl_exchange> _exchange;
  std::string _principal;
};

}  // namespace spate::broker
