// libFuzzer target: SASL payloads as an unauthenticated client sends them — SCRAM client-first
// and client-final (through a whole server exchange), PLAIN messages, and ACL/credential files.
// Parsing must refuse garbage with an error, never crash or over-read; and whatever the SCRAM
// parsers accept must hold the invariants the exchange relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/acl_store.h"
#include "security/credential_store.h"
#include "security/plain.h"
#include "security/scram_messages.h"
#include "security/scram_server.h"

namespace sec = spate::security;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto first = sec::parse_client_first(text)) {
    // The gs2 header and the bare message split the input exactly; names are never empty.
    if (first->gs2_header + first->bare != text || first->username.empty() || first->nonce.empty()) std::abort();
  }
  (void)sec::parse_server_first(text);
  (void)sec::parse_server_final(text);
  if (auto final_message = sec::parse_client_final(text)) {
    if (!text.starts_with(final_message->without_proof)) std::abort();
  }
  (void)sec::parse_plain(text);

  // A whole exchange: the input split at its first NUL into client-first and client-final.
  const auto nul = text.find('\0');
  sec::scram_server server(
      sec::scram_mechanism::sha256,
      [](std::string_view user, bool) -> std::optional<sec::scram_credential> {
        if (user != "user") return std::nullopt;
        return sec::credential_from_salted_password(sec::scram_mechanism::sha256, "salt", "salted", 4096);
      },
      "secret", "server-nonce");
  if (server.handle_client_first(text.substr(0, nul)) && nul != std::string_view::npos) {
    // Passing would need a forged proof: the fuzzer must never authenticate.
    if (server.handle_client_final(text.substr(nul + 1))) std::abort();
  }

  (void)sec::decode_acls(text);
  (void)sec::decode_credentials(text);
  return 0;
}
