#pragma once
// What a server TLS context is built from (net/tls_context.h builds it). Apart from the context so
// that configuration (app/config.h) names the files without pulling in Asio's and OpenSSL's headers.
#include <filesystem>
#include <string>

namespace spate::net {

// Kafka's ssl.client.auth.
enum class tls_client_auth {
  none,       // no client certificate is asked for
  requested,  // asked for; a client without one connects anyway, one with a bad one is refused
  required,   // a client without a certificate that the CA file vouches for is refused
};

// The PEM files a server context is built from.
struct tls_files {
  std::filesystem::path certificate;  // the server's certificate chain, leaf first
  std::filesystem::path key;          // its private key, encrypted or not
  std::string key_password;           // for an encrypted key; empty: the key is not encrypted
  std::filesystem::path ca;           // CAs trusted for client certificates; empty: none
  tls_client_auth client_auth = tls_client_auth::none;
};

}  // namespace spate::net
