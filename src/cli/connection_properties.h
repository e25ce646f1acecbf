#pragma once
// The -X properties the raw-protocol commands (kafka_connection) honour, read as librdkafka reads
// them, so one set of -X flags serves every command: security.protocol PLAINTEXT (default), SSL,
// SASL_PLAINTEXT or SASL_SSL; sasl.mechanism(s) PLAIN (default), SCRAM-SHA-256 or SCRAM-SHA-512
// with sasl.username / sasl.password; ssl.ca.location, ssl.certificate.location,
// ssl.key.location, ssl.key.password, enable.ssl.certificate.verification and
// ssl.endpoint.identification.algorithm (https or none). Other properties are librdkafka's alone
// and ignored here.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cli/tls_client_settings.h"

namespace spate::cli {

struct connection_properties {
  std::string protocol = "PLAINTEXT";      // upper case, as validated
  std::optional<tls_client_settings> tls;  // set for SSL and SASL_SSL
  bool sasl = false;                       // SASL_PLAINTEXT and SASL_SSL
  std::string mechanism = "PLAIN";         // upper case; PLAIN or a SCRAM mechanism
  std::string user;
  std::string password;
};

// Reads `properties` ("key=value"; the last of a key wins, as with librdkafka). Throws
// std::invalid_argument with a one-line reason when a value is unsupported or a needed one is
// missing (SASL without a user name, a certificate without its key).
connection_properties read_connection_properties(const std::vector<std::string>& properties);

}  // namespace spate::cli
