#pragma once
// The four SCRAM messages of RFC 5802 section 7, parsed and built as Kafka exchanges them inside
// SaslAuthenticate (KIP-84). Parsing is strict and bounded: every attribute in its place, no
// empty values where the grammar needs one, nonces of printable ASCII without ','. Parsers return
// errc::authentication_failed with a reason meant for logs only (the server never sends it).
// Pure functions; thread-safe.
//
//   client-first: gs2-header client-first-bare     gs2-header = "n," [ "a=" saslname ] ","
//                 client-first-bare = "n=" saslname ",r=" c-nonce ["," extensions]
//   server-first: "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" iterations
//   client-final: "c=" base64(gs2-header) ",r=" nonce ["," extensions] ",p=" base64(proof)
//   server-final: "v=" base64(ServerSignature)  |  "e=" server-error-value
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "security/errc.h"

namespace spate::security {

// Longest SCRAM message we parse; real ones are a few hundred bytes.
inline constexpr std::size_t scram_max_message_size = 4096;

// saslname escaping (RFC 5802 section 5.1): ',' is "=2C" and '=' is "=3D"; any other '=' is an
// error (nullopt).
std::string encode_saslname(std::string_view name);
std::optional<std::string> decode_saslname(std::string_view saslname);

struct client_first_message {
  char cbind_flag = 'n';   // 'n' (client does not support channel binding) or 'y' (thinks we do not)
  std::string authzid;     // decoded; empty when absent
  std::string username;    // decoded, non-empty
  std::string nonce;       // the client's nonce
  std::string gs2_header;  // verbatim, e.g. "n,,"; the client-final's c= must carry exactly it
  std::string bare;        // verbatim client-first-bare, part of AuthMessage
  std::map<std::string, std::string> extensions;  // e.g. Kafka's tokenauth=true (KIP-48)
};
result<client_first_message> parse_client_first(std::string_view message);
std::string build_client_first(std::string_view username, std::string_view authzid, std::string_view nonce);

struct server_first_message {
  std::string nonce;  // combined: client nonce + server nonce
  std::string salt;   // raw bytes
  int iterations = 0;
  std::string text;  // verbatim, part of AuthMessage
};
result<server_first_message> parse_server_first(std::string_view message);
std::string build_server_first(std::string_view nonce, std::string_view salt, int iterations);

struct client_final_message {
  std::string channel_binding;  // decoded c= value (the gs2 header when no channel binding is used)
  std::string nonce;
  std::string proof;          // raw bytes
  std::string without_proof;  // verbatim client-final-message-without-proof, part of AuthMessage
};
result<client_final_message> parse_client_final(std::string_view message);
// `without_proof` is "c=...,r=..."; returns it with ",p=" + base64(proof) appended.
std::string build_client_final_without_proof(std::string_view gs2_header, std::string_view nonce);

struct server_final_message {
  std::optional<std::string> verifier;  // raw ServerSignature on success
  std::optional<std::string> error;     // e= value on failure
};
result<server_final_message> parse_server_final(std::string_view message);

}  // namespace spate::security
