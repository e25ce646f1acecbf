#pragma once
// How a raw-protocol connection (kafka_connection) speaks TLS: the librdkafka ssl.* properties
// it honours, already read (connection_properties.h reads them from -X), and how TLS fails. Apart
// from the connection so that callers need neither Asio's nor OpenSSL's headers.
#include <stdexcept>
#include <string>

namespace spate::cli {

struct tls_client_settings {
  std::string ca_file;             // ssl.ca.location (PEM); empty: the system trust store
  std::string certificate_file;    // ssl.certificate.location, with key_file: mutual TLS
  std::string key_file;            // ssl.key.location
  std::string key_password;        // ssl.key.password; empty: the key is not encrypted
  bool verify_certificate = true;  // enable.ssl.certificate.verification
  bool verify_host_name = true;    // ssl.endpoint.identification.algorithm=https (librdkafka's default)
};

// The TLS handshake failed, or the settings' files could not be used. what() is one line naming
// the broker or the file and OpenSSL's reason.
class tls_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace spate::cli
