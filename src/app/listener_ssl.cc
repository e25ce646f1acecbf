// listener.name.<name>.ssl.*: Kafka's per-listener TLS settings (KIP-103), and KIP-684's rule that
// a SASL_SSL listener asks for client certificates only when told so with its own prefix.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "app/config.h"
#include "app/config_settings.h"

namespace spate::app {
namespace {

constexpr std::string_view listener_prefix = "listener.name.";

// The ssl.* setting a listener may set for itself; ssl.principal.mapping.rules stays broker-wide.
const setting* per_listener_setting(std::string_view ssl_key) {
  for (const auto& s : tls_settings()) {
    if (s.key == ssl_key && s.key != "ssl.principal.mapping.rules") return &s;
  }
  return nullptr;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool apply_listener_ssl_setting(broker_config& config, std::string_view key, std::string_view value) {
  if (!key.starts_with(listener_prefix)) return false;
  const auto rest = key.substr(listener_prefix.size());
  const auto dot = rest.find(".ssl.");
  if (dot == std::string_view::npos || dot == 0) {
    throw config_error(fmt::format("config key '{}': expected listener.name.<listener>.ssl.<setting>", key));
  }
  const auto ssl_key = rest.substr(dot + 1);
  const auto* s = per_listener_setting(ssl_key);
  if (s == nullptr) {
    throw config_error(
        fmt::format("config key '{}': {} cannot be set per listener (ssl.certificate.location, ssl.key.location, "
                    "ssl.key.password, ssl.ca.location and ssl.client.auth can)",
                    key, ssl_key));
  }
  broker_config checked;  // the value is parsed now, so a bad one stops start-up naming its key
  s->apply(checked, key, value);
  config.listener_ssl[lower(rest.substr(0, dot))].emplace_back(ssl_key, value);
  return true;
}

net::tls_files broker_config::ssl_files_for(std::string_view listener_name) const {
  broker_config resolved;
  resolved.ssl = ssl;
  if (security_protocol(listener_name) == "SASL_SSL") resolved.ssl.client_auth = net::tls_client_auth::none;
  if (const auto it = listener_ssl.find(lower(listener_name)); it != listener_ssl.end()) {
    for (const auto& [ssl_key, value] : it->second) per_listener_setting(ssl_key)->apply(resolved, ssl_key, value);
  }
  return resolved.ssl;
}

}  // namespace spate::app
