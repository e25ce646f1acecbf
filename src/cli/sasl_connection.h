#pragma once
// The raw-protocol commands' connection (kafka_connection) to the first -b broker, secured and
// authenticated the way the -X properties say, as librdkafka reads them (connection_properties.h
// lists them): security.protocol PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL; for SSL
// and SASL_SSL, TLS 1.2 or later checked against ssl.ca.location (default: the system trust
// store) and the broker's host name, with a client certificate from ssl.certificate.location and
// ssl.key.location for mutual TLS; for SASL, sasl.mechanism PLAIN (librdkafka's default),
// SCRAM-SHA-256 or SCRAM-SHA-512 with sasl.username / sasl.password.
#include <memory>
#include <string_view>

#include "cli/client_options.h"
#include "cli/kafka_connection.h"

namespace spate::cli {

// Connects, on SSL and SASL_SSL completes the TLS handshake, and on SASL_* runs SaslHandshake v1
// and SaslAuthenticate v1 (checking the SCRAM server's signature). Failures end the command with
// one line naming `what`: a failed TLS handshake or unusable TLS files as _SSL, any other
// transport failure as _TRANSPORT, a refused login with the broker's error code and message,
// unusable -X settings as a plain command_error.
std::unique_ptr<kafka_connection> open_connection(const client_options& options, std::string_view what);

}  // namespace spate::cli
