#pragma once
// The client side of one SCRAM exchange (RFC 5802), for `spate` CLI commands and tests: builds
// client-first, answers server-first with client-final, and checks the server's signature in
// server-final (mutual authentication: a server without our credential cannot produce it).
//
//   scram_client c(mechanism, "alice", "secret");
//   send(c.client_first()); auto final_message = c.handle_server_first(recv()); send(*final_message);
//   if (!c.handle_server_final(recv())) ...  // the server is not who it claims
//
// Refuses a server nonce that does not extend ours and fewer iterations than Kafka's minimum
// (as Kafka's ScramSaslClient does). Not thread-safe.
#include <optional>
#include <string>
#include <string_view>

#include "security/errc.h"
#include "security/scram_credential.h"

namespace spate::security {

class scram_client {
 public:
  // `client_nonce` is for tests; by default 24 random bytes in base64.
  scram_client(scram_mechanism mechanism, std::string username, std::string password, std::string authzid = {},
               std::optional<std::string> client_nonce = std::nullopt);

  std::string client_first() const;
  result<std::string> handle_server_first(std::string_view message);
  result<void> handle_server_final(std::string_view message);

 private:
  scram_mechanism _mechanism;
  std::string _username;
  std::string _password;
  std::string _authzid;
  std::string _nonce;
  std::string _expected_server_signature;  // set by handle_server_first
};

}  // namespace spate::security
