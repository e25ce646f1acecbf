#pragma once
// The server side of one SCRAM exchange (RFC 5802 section 5; Kafka's ScramSaslServer, KIP-84).
// One object per connection attempt; the network layer feeds it the client's SaslAuthenticate
// payloads in order and sends back what it returns:
//
//   scram_server s(mechanism, lookup, secret);
//   auto first = s.handle_client_first(bytes1);   // -> server-first, or failure
//   auto last = s.handle_client_final(bytes2);    // -> server-final (v=...), or failure
//   if (last) principal = "User:" + s.username();
//
// Every failure is errc::authentication_failed with the same client-facing message
// (`scram_failure_message`), whatever the cause; `failure_reason()` says why, for the broker's log
// only. A user without a credential is not refused at client-first: the exchange continues against
// fake_credential(secret, user) and fails at the proof exactly as a wrong password does, so the
// answers (and their timing: neither path runs PBKDF2) do not tell an attacker which users exist.
// A message out of turn, or any message after a failure, is errc::illegal_sasl_state.
//
// Kafka's `tokenauth=true` extension (delegation tokens, KIP-48) is accepted and passed to the
// lookup, which refuses it (returns nullopt) unless delegation tokens exist. Any other extension
// fails the exchange, as in Kafka. An authzid, if sent, must equal the username (Kafka's rule).
//
// Not thread-safe: one connection drives it at a time.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "security/errc.h"
#include "security/scram_credential.h"
#include "security/scram_messages.h"

namespace spate::security {

// What Kafka says for every failed SASL exchange (SaslServerAuthenticator); the mechanism name is
// appended.
inline constexpr std::string_view scram_failure_message =
    "Authentication failed during authentication due to invalid credentials with SASL mechanism ";

class scram_server {
 public:
  // Returns the credential of `username` for this mechanism, or nullopt for an unknown user (or a
  // token authentication the broker does not support). Called once, from handle_client_first.
  using credential_lookup = std::function<std::optional<scram_credential>(std::string_view username, bool token_auth)>;

  // `secret` keys the fake credentials of unknown users: keep it stable across restarts
  // (credential_store::fake_credential_secret()). `server_nonce` is for tests (RFC vectors); by
  // default it is 24 random bytes in base64.
  scram_server(scram_mechanism mechanism, credential_lookup lookup, std::string secret,
               std::optional<std::string> server_nonce = std::nullopt);

  result<std::string> handle_client_first(std::string_view message);
  result<std::string> handle_client_final(std::string_view message);

  // After a successful handle_client_final: the authenticated user name (never the authzid).
  bool complete() const { return _state == state::complete; }
  const std::string& username() const { return _client_first.username; }
  // After handle_client_first: whether the client asked for delegation-token authentication.
  bool token_auth() const { return _token_auth; }
  // Why the exchange failed, for logs; empty while it has not.
  const std::string& failure_reason() const { return _failure_reason; }

 private:
  enum class state : std::uint8_t { expect_client_first, expect_client_final, complete, failed };

  base::failure_t<error> failed(std::string reason);

  scram_mechanism _mechanism;
  credential_lookup _lookup;
  std::string _secret;
  std::string _server_nonce;
  state _state = state::expect_client_first;
  client_first_message _client_first;
  std::string _server_first;
  scram_credential _credential;
  bool _token_auth = false;
  bool _unknown_user = false;  // the exchange runs against a fake credential
  std::string _failure_reason;
};

}  // namespace spate::security
