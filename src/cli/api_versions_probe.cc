#include "cli/api_versions_probe.h"

#include <algorithm>
#include <chrono>

#include "cli/sasl_connection.h"
#include "protocol/error_code.h"
#include "protocol/messages/api_versions.h"

namespace spate::cli {

namespace {

protocol::api_versions_response exchange(kafka_connection& connection, std::int16_t version) {
  protocol::api_versions_request request;
  request.client_software_name = "spate-cli";
  request.client_software_version = "0.1.0";
  base::byte_buffer body;
  protocol::writer w(body);
  request.encode(w, version);
  const auto payload = connection.round_trip(protocol::api_key::api_versions, version, body);
  protocol::reader r{base::byte_span(payload)};
  connection.skip_response_header(r, protocol::api_key::api_versions, version);  // v0 for every version
  protocol::api_versions_response response;
  try {
    response.decode(r, version);
  } catch (const protocol::decode_error&) {
    // A broker that does not speak `version` answers with a v0 body carrying UNSUPPORTED_VERSION.
    protocol::reader again{base::byte_span(payload).subspan(4)};
    response = protocol::api_versions_response{};
    response.decode(again, 0);
  }
  return response;
}

constexpr std::int16_t unsupported_version = 35;

}  // namespace

std::vector<api_version_range> probe_api_versions(const client_options& options, std::string_view what) {
  const auto timeout = std::chrono::milliseconds(options.timeout_ms);
  const auto started = std::chrono::steady_clock::now();
  auto response = [&] {
    auto connection = open_connection(options, what);
    return exchange(*connection, 3);
  }();
  if (response.error_code == unsupported_version) {
    const auto left =
        timeout - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    auto rest = options;
    rest.timeout_ms = static_cast<int>(std::max<std::int64_t>(1, left.count()));
    auto connection = open_connection(rest, what);
    response = exchange(*connection, 0);
  }
  if (response.error_code != 0) {
    throw std::runtime_error("ApiVersions error " +
                             std::string(protocol::error_name(static_cast<protocol::error_code>(response.error_code))));
  }
  std::vector<api_version_range> out;
  for (const auto& k : response.api_keys) out.push_back({k.api_key, k.min_version, k.max_version});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.api_key < b.api_key; });
  return out;
}

std::string api_key_name(std::int16_t key) {
  return std::string(protocol::api_name(static_cast<protocol::api_key>(key)));
}

}  // namespace spate::cli
