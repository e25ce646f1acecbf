#pragma once
// The raw-protocol commands' connection (kafka_connection) to the first -b broker, authenticated
// the way the -X properties say, as librdkafka reads them: security.protocol PLAINTEXT (default)
// or SASL_PLAINTEXT with sasl.mechanism PLAIN (librdkafka's default), SCRAM-SHA-256 or
// SCRAM-SHA-512 and sasl.username / sasl.password. SSL is not spoken here.
#include <memory>
#include <string_view>

#include "cli/client_options.h"
#include "cli/kafka_connection.h"

namespace spate::cli {

// Connects and, on SASL_PLAINTEXT, runs SaslHandshake v1 and SaslAuthenticate v1 (checking the
// SCRAM server's signature). Failures end the command with one line naming `what`: a transport
// failure as _TRANSPORT, a refused login with the broker's error code and message, unusable -X
// settings as a plain command_error.
std::unique_ptr<kafka_connection> open_connection(const client_options& options, std::string_view what);

}  // namespace spate::cli
