#include "security/scram_server.h"

#include "security/base64.h"
#include "security/crypto.h"

namespace spate::security {

scram_server::scram_server(scram_mechanism mechanism, credential_lookup lookup, std::string secret,
                           std::optional<std::string> server_nonce)
    : _mechanism(mechanism),
      _lookup(std::move(lookup)),
      _secret(std::move(secret)),
      _server_nonce(server_nonce ? std::move(*server_nonce) : base64_encode(random_bytes(24))) {}

base::failure_t<error> scram_server::failed(std::string reason) {
  _state = state::failed;
  _failure_reason = std::move(reason);
  std::string message(scram_failure_message);
  message += mechanism_name(_mechanism);
  return fail(errc::authentication_failed, std::move(message));
}

result<std::string> scram_server::handle_client_first(std::string_view message) {
  if (_state != state::expect_client_first) return fail(errc::illegal_sasl_state, "unexpected SCRAM client-first");
  auto parsed = parse_client_first(message);
  if (!parsed) return failed(parsed.error().message);
  _client_first = std::move(*parsed);
  for (const auto& [key, value] : _client_first.extensions) {
    if (key != "tokenauth") return failed("unsupported SCRAM extension " + key);
    _token_auth = value == "true";
  }
  // Kafka: a client may not act for another user (ScramSaslServer).
  if (!_client_first.authzid.empty() && _client_first.authzid != _client_first.username) {
    return failed("authorization id differs from the username");
  }
  if (auto credential = _lookup(_client_first.username, _token_auth)) {
    _credential = std::move(*credential);
  } else {
    // No early refusal: see the class comment. failure_reason() will say it at the proof.
    _credential = fake_credential(_mechanism, _secret, _client_first.username);
    _unknown_user = true;
  }
  _server_first = build_server_first(_client_first.nonce + _server_nonce, _credential.salt, _credential.iterations);
  _state = state::expect_client_final;
  return _server_first;
}

result<std::string> scram_server::handle_client_final(std::string_view message) {
  if (_state != state::expect_client_final) return fail(errc::illegal_sasl_state, "unexpected SCRAM client-final");
  auto parsed = parse_client_final(message);
  if (!parsed) return failed(parsed.error().message);
  const auto& final_message = *parsed;
  if (final_message.channel_binding != _client_first.gs2_header) return failed("channel binding mismatch");
  // Kafka's rule (ScramSaslServer): the nonce must end with the server-first's nonce. librdkafka
  // sends its own nonce once more in front of it, and Kafka accepts that.
  if (!std::string_view(final_message.nonce).ends_with(_client_first.nonce + _server_nonce)) {
    return failed("nonce mismatch");
  }
  const auto h = algorithm(_mechanism);
  if (final_message.proof.size() != digest_size(h)) return failed("proof has the wrong length");

  // RFC 5802 section 3: recover ClientKey from the proof and check that it hashes to StoredKey.
  const std::string auth_message = _client_first.bare + "," + _server_first + "," + final_message.without_proof;
  const std::string client_signature = hmac(h, _credential.stored_key, auth_message);
  const std::string client_key = xor_bytes(final_message.proof, client_signature);
  if (!constant_time_equal(hash(h, client_key), _credential.stored_key)) {
    return failed(_unknown_user ? "unknown user" : "invalid proof");
  }

  _state = state::complete;
  return "v=" + base64_encode(hmac(h, _credential.server_key, auth_message));
}

}  // namespace spate::security
