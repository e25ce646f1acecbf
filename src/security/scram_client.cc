#include "security/scram_client.h"

#include "security/base64.h"
#include "security/crypto.h"
#include "security/scram_messages.h"

namespace spate::security {

scram_client::scram_client(scram_mechanism mechanism, std::string username, std::string password, std::string authzid,
                           std::optional<std::string> client_nonce)
    : _mechanism(mechanism),
      _username(std::move(username)),
      _password(std::move(password)),
      _authzid(std::move(authzid)),
      _nonce(client_nonce ? std::move(*client_nonce) : base64_encode(random_bytes(24))) {}

std::string scram_client::client_first() const { return build_client_first(_username, _authzid, _nonce); }

result<std::string> scram_client::handle_server_first(std::string_view message) {
  if (!_expected_server_signature.empty()) return fail(errc::illegal_sasl_state, "unexpected SCRAM server-first");
  auto parsed = parse_server_first(message);
  if (!parsed) return base::failure(parsed.error());
  const auto& server_first = *parsed;
  if (!server_first.nonce.starts_with(_nonce) || server_first.nonce.size() == _nonce.size()) {
    return fail(errc::authentication_failed, "server nonce does not extend the client nonce");
  }
  if (server_first.iterations < scram_min_iterations) {
    return fail(errc::authentication_failed, "server asks for fewer than the minimum iterations");
  }
  if (server_first.iterations > scram_max_iterations) {
    // Bounds the client's work: a hostile server could otherwise ask for billions.
    return fail(errc::authentication_failed, "server asks for more than the maximum iterations");
  }
  const auto h = algorithm(_mechanism);
  const std::string salted = pbkdf2(h, _password, server_first.salt, server_first.iterations);
  const std::string client_key = hmac(h, salted, "Client Key");
  const std::string stored_key = hash(h, client_key);
  const std::string gs2_header = client_first().substr(0, client_first().find(",n=") + 1);
  const std::string without_proof = build_client_final_without_proof(gs2_header, server_first.nonce);
  const std::string bare = client_first().substr(gs2_header.size());
  const std::string auth_message = bare + "," + server_first.text + "," + without_proof;
  const std::string proof = xor_bytes(client_key, hmac(h, stored_key, auth_message));
  _expected_server_signature = hmac(h, hmac(h, salted, "Server Key"), auth_message);
  return without_proof + ",p=" + base64_encode(proof);
}

result<void> scram_client::handle_server_final(std::string_view message) {
  if (_expected_server_signature.empty()) return fail(errc::illegal_sasl_state, "unexpected SCRAM server-final");
  auto parsed = parse_server_final(message);
  if (!parsed) return base::failure(parsed.error());
  if (parsed->error) return fail(errc::authentication_failed, "server error: " + *parsed->error);
  if (!constant_time_equal(*parsed->verifier, _expected_server_signature)) {
    return fail(errc::authentication_failed, "server signature does not verify");
  }
  return {};
}

}  // namespace spate::security
