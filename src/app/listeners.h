#pragma once
// Kafka's listeners: `listeners=PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://0.0.0.0:9093`, each
// NAME://host:port (a bare host:port is PLAINTEXT), `listener.security.protocol.map` from names to
// security protocols (Kafka's default maps each protocol's name to itself), and
// `advertised.listeners` per name (a listener without one advertises its own address).
// Pure parsing and validation; errors are config_error naming the key.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"

namespace spate::app {

// Kafka's default listener.security.protocol.map.
std::map<std::string, std::string> default_security_protocol_map();

// "NAME://host:port,..." or "host:port" (PLAINTEXT). Throws config_error naming `key`.
std::vector<listener> parse_listeners(std::string_view key, std::string_view text);
// "NAME:PROTOCOL,...". Throws config_error naming `key`.
std::map<std::string, std::string> parse_security_protocol_map(std::string_view key, std::string_view text);
// "PLAINTEXT://host:port,..." as Kafka prints listeners.
std::string listeners_text(const std::vector<listener>& listeners);

// Whether a security protocol runs over TLS (SSL, SASL_SSL), and whether it authenticates with
// SASL (SASL_PLAINTEXT, SASL_SSL).
bool is_tls(std::string_view protocol);
bool is_sasl(std::string_view protocol);

// Checks listeners against the map and the advertised listeners: names unique and mapped, and every
// advertised name a listener. Throws config_error with the reason.
void validate_listeners(const std::vector<listener>& listeners, const std::vector<listener>& advertised,
                        const std::map<std::string, std::string>& protocol_map);

}  // namespace spate::app
