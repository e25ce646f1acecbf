#include "app/listeners.h"

#include <set>

#include <fmt/format.h>

#include "app/config_text.h"

namespace spate::app {

bool is_tls(std::string_view protocol) { return protocol == "SSL" || protocol == "SASL_SSL"; }
bool is_sasl(std::string_view protocol) { return protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL"; }

std::map<std::string, std::string> default_security_protocol_map() {
  return {{"PLAINTEXT", "PLAINTEXT"}, {"SSL", "SSL"}, {"SASL_PLAINTEXT", "SASL_PLAINTEXT"}, {"SASL_SSL", "SASL_SSL"}};
}

std::vector<listener> parse_listeners(std::string_view key, std::string_view text) {
  std::vector<listener> out;
  for_each_item(text, ',', [&](std::string_view item) {
    listener l;
    if (const auto scheme = item.find("://"); scheme != std::string_view::npos) {
      l.name = std::string(item.substr(0, scheme));
      item = item.substr(scheme + 3);
      if (l.name.empty()) throw config_error(fmt::format("config key '{}': a listener without a name", key));
    }
    l.address = parse_host_port(key, item);
    out.push_back(std::move(l));
  });
  if (out.empty()) throw config_error(fmt::format("config key '{}': no listener", key));
  return out;
}

std::map<std::string, std::string> parse_security_protocol_map(std::string_view key, std::string_view text) {
  std::map<std::string, std::string> out;
  for_each_item(text, ',', [&](std::string_view item) {
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) {
      throw config_error(fmt::format("config key '{}': '{}' is not NAME:PROTOCOL", key, item));
    }
    std::string protocol(trim(item.substr(colon + 1)));
    if (protocol != "PLAINTEXT" && protocol != "SASL_PLAINTEXT" && !is_tls(protocol)) {
      throw config_error(fmt::format("config key '{}': unknown security protocol '{}'", key, protocol));
    }
    out[std::string(trim(item.substr(0, colon)))] = std::move(protocol);
  });
  return out;
}

std::string listeners_text(const std::vector<listener>& listeners) {
  std::string out;
  for (const auto& l : listeners) {
    const bool v6 = l.address.host.find(':') != std::string::npos;
    const auto host = v6 ? "[" + l.address.host + "]" : l.address.host;
    out += fmt::format("{}{}://{}:{}", out.empty() ? "" : ",", l.name, host, l.address.port);
  }
  return out;
}

void validate_listeners(const std::vector<listener>& listeners, const std::vector<listener>& advertised,
                        const std::map<std::string, std::string>& protocol_map) {
  std::set<std::string> names;
  for (const auto& l : listeners) {
    if (!names.insert(l.name).second) {
      throw config_error(fmt::format("config key 'listeners': listener name {} is used twice", l.name));
    }
    const auto it = protocol_map.find(l.name);
    if (it == protocol_map.end()) {
      throw config_error(
          fmt::format("config key 'listeners': listener name {} is not in listener.security.protocol.map", l.name));
    }
  }
  std::set<std::string> advertised_names;
  for (const auto& a : advertised) {
    if (!names.contains(a.name)) {
      throw config_error(fmt::format("config key 'advertised.listeners': {} is not a listener name", a.name));
    }
    if (!advertised_names.insert(a.name).second) {
      throw config_error(fmt::format("config key 'advertised.listeners': listener name {} is used twice", a.name));
    }
  }
}

}  // namespace spate::app
