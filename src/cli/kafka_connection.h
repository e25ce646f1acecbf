#pragma once
// One connection to a Kafka broker, over plain TCP or TLS, that sends requests and reads their
// responses with the protocol module's messages, for the APIs librdkafka keeps to itself or lacks
// (ApiVersions' ranges, client quotas, SCRAM users, ACLs with transactional ids). Blocking, one
// request at a time. SASL is sasl_connection.h's, on top of this.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"
#include "cli/tls_client_settings.h"
#include "protocol/api_key.h"
#include "protocol/wire.h"

namespace spate::cli {

// "host:port", "[v6]:port" or "scheme://host:port"; throws std::invalid_argument.
std::pair<std::string, std::string> split_host_port(std::string_view address);

class kafka_transport;

class kafka_connection {
 public:
  // Connects to `address` ("host:port") and, with `tls`, completes a TLS handshake; every later
  // call must finish within `timeout` of this one. Throws tls_error (a std::runtime_error) for a
  // TLS failure, std::runtime_error naming any other failure.
  kafka_connection(std::string_view address, std::chrono::milliseconds timeout,
                   const std::optional<tls_client_settings>& tls = std::nullopt);
  ~kafka_connection();
  kafka_connection(const kafka_connection&) = delete;
  kafka_connection& operator=(const kafka_connection&) = delete;

  // Sends `request` at `version` and decodes the response. Throws std::runtime_error on a transport
  // failure and protocol::decode_error on a response that does not decode.
  template <typename Response, typename Request>
  Response call(const Request& request, std::int16_t version) {
    base::byte_buffer body;
    protocol::writer w(body);
    request.encode(w, version);
    const auto payload = round_trip(Request::key, version, body);
    protocol::reader r{base::byte_span(payload)};
    skip_response_header(r, Request::key, version);
    Response response;
    response.decode(r, version);
    return response;
  }

  // The raw response to one request: the bytes after the size prefix (response header included).
  base::byte_buffer round_trip(protocol::api_key key, std::int16_t version, const base::byte_buffer& body);

  // Reads past the correlation id (checked) and, for flexible responses, the header's tagged fields.
  void skip_response_header(protocol::reader& r, protocol::api_key key, std::int16_t version) const;

 private:
  std::unique_ptr<kafka_transport> _transport;
  std::int32_t _correlation_id = 0;
};

}  // namespace spate::cli
