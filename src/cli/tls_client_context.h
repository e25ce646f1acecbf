#pragma once
// The client side of TLS for the CLI's connections (kafka_transport for the Kafka protocol,
// admin_client for the admin API): one context builder and one host-name check, so both verify a
// server the same way.
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "cli/tls_client_settings.h"

namespace spate::cli {

// TLS 1.2 or later, trusting settings.ca_file (else the system's trust store), presenting the
// certificate and key when given. Reads every file now, so a wrong path fails before any network
// round trip and names the librdkafka property to fix. Throws tls_error.
std::unique_ptr<boost::asio::ssl::context> make_tls_client_context(const tls_client_settings& settings);

// Before the handshake on `ssl`: SNI for a host name (RFC 6066 forbids a literal address there)
// and, with `verify_host_name`, the check that the server's certificate names `host` (a DNS name,
// or an IP address in its subjectAltName). Throws tls_error.
void expect_server_host(SSL* ssl, const std::string& host, bool verify_host_name);

}  // namespace spate::cli
