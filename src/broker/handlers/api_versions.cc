#include "broker/handlers/api_versions.h"

#include "broker/api_table.h"
#include "protocol/error_code.h"

namespace spate::broker {
namespace {

// KIP-511: client software name and version must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?
bool valid_software_field(std::string_view s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

protocol::api_versions_response::api_version entry_for(const served_api& api) {
  protocol::api_versions_response::api_version entry;
  entry.api_key = static_cast<std::int16_t>(api.key);
  entry.min_version = api.min_version;
  entry.max_version = api.max_version;
  return entry;
}

}  // namespace

boost::asio::awaitable<api_versions_handler::response> api_versions_handler::handle(request_context& ctx,
                                                                                    request req) {
  response resp;
  if (ctx.api_version >= 3 &&
      (!valid_software_field(req.client_software_name) || !valid_software_field(req.client_software_version))) {
    resp.error_code = static_cast<std::int16_t>(protocol::error_code::invalid_request);
    co_return resp;
  }
  for (const auto& api : served_apis()) resp.api_keys.push_back(entry_for(api));
  co_return resp;
}

base::byte_buffer api_versions_handler::unsupported_version_frame(std::int32_t correlation_id) {
  response resp;
  resp.error_code = static_cast<std::int16_t>(protocol::error_code::unsupported_version);
  resp.api_keys.push_back(entry_for(*find_served_api(static_cast<std::int16_t>(protocol::api_key::api_versions))));
  protocol::response_header header;
  header.correlation_id = correlation_id;
  base::byte_buffer out;
  protocol::writer writer(out);
  header.encode(writer, 0);
  resp.encode(writer, 0);
  return out;
}

}  // namespace spate::broker
