#pragma once
// Internal to app/: the broker settings table (config.cc), shared with the documentation it
// generates (config_docs.cc).
#include <functional>
#include <string_view>
#include <vector>

#include "app/config.h"
#include "storage/topic_config_table.h"

namespace spate::app {

// A broker setting that is not a topic default; those come from the topic config table.
struct setting {
  std::string_view key;
  std::string_view default_text;
  std::string_view help;
  std::function<void(broker_config&, std::string_view key, std::string_view value)> apply;
};

// Every broker setting, in the order the documentation lists them.
const std::vector<setting>& all_settings();

// The ssl.* settings of TLS listeners (part of all_settings()).
const std::vector<setting>& tls_settings();

// listener.name.<name>.ssl.<key>=value (listener_ssl.cc): checks the value and records it in
// config.listener_ssl. False when `key` is not of that form; throws config_error for an ssl key
// that cannot be set per listener or a bad value.
bool apply_listener_ssl_setting(broker_config& config, std::string_view key, std::string_view value);

// The row of a broker-level topic default (log.retention.ms...) the broker can be started with:
// one whose value storage acts on. nullptr for any other key.
const storage::topic_config_row* topic_default(std::string_view key);

}  // namespace spate::app
