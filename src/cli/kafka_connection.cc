#include "cli/kafka_connection.h"

#include <vector>

#include "cli/kafka_transport.h"
#include "protocol/messages/request_header.h"

namespace spate::cli {

namespace {

constexpr std::int32_t max_response_bytes = 64 * 1024 * 1024;

}  // namespace

std::pair<std::string, std::string> split_host_port(std::string_view address) {
  if (const auto scheme = address.find("://"); scheme != std::string_view::npos) address = address.substr(scheme + 3);
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == address.size()) {
    throw std::invalid_argument("expected HOST:PORT, got '" + std::string(address) + "'");
  }
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {std::string(host), std::string(address.substr(colon + 1))};
}

kafka_connection::kafka_connection(std::string_view address, std::chrono::milliseconds timeout,
                                   const std::optional<tls_client_settings>& tls) {
  std::pair<std::string, std::string> host_port;
  try {
    host_port = split_host_port(address);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  _transport = std::make_unique<kafka_transport>(host_port.first, host_port.second, tls,
                                                 kafka_transport::clock::now() + timeout);
}

kafka_connection::~kafka_connection() = default;

base::byte_buffer kafka_connection::round_trip(protocol::api_key key, std::int16_t version,
                                               const base::byte_buffer& body) {
  protocol::request_header header;
  header.request_api_key = static_cast<std::int16_t>(key);
  header.request_api_version = version;
  header.correlation_id = ++_correlation_id;
  header.client_id = "spate-cli";
  base::byte_buffer frame;
  protocol::writer w(frame);
  w.write_int32(0);  // the size, patched below
  header.encode(w, protocol::request_header_version(key, version));
  frame.insert(frame.end(), body.begin(), body.end());
  const auto size = static_cast<std::uint32_t>(frame.size() - 4);
  for (int i = 0; i < 4; ++i) frame[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(size >> (24 - 8 * i));
  _transport->write_all(frame.data(), frame.size(), "sending a request");

  std::uint8_t size_prefix[4];
  _transport->read_exactly(size_prefix, sizeof size_prefix, "waiting for a response");
  protocol::reader size_reader{base::byte_span(size_prefix, sizeof size_prefix)};
  const auto response_size = size_reader.read_int32();
  if (response_size < 4 || response_size > max_response_bytes) {
    throw std::runtime_error("a response of " + std::to_string(response_size) + " bytes");
  }
  base::byte_buffer payload(static_cast<std::size_t>(response_size));
  _transport->read_exactly(payload.data(), payload.size(), "reading a response");
  return payload;
}

void kafka_connection::skip_response_header(protocol::reader& r, protocol::api_key key, std::int16_t version) const {
  if (r.read_int32() != _correlation_id) throw std::runtime_error("a response with a wrong correlation id");
  if (protocol::response_header_version(key, version) >= 1) {
    std::vector<protocol::tagged_field> ignored;
    r.read_unknown_tagged_fields(ignored);
  }
}

}  // namespace spate::cli
