#pragma once
// The broker's built-in lag monitor: built from the lag.* settings, with its history in
// <data_dir>/lag.db, fed by the in-broker source; and what it adds to /v1/status and /metrics.
#include <memory>

#include <nlohmann/json.hpp>

#include "app/config.h"
#include "lag/monitor.h"

namespace spate::app {

// Not started. A history file that cannot be opened disables history with one error line.
std::shared_ptr<lag::monitor> make_lag_monitor(const broker_config& config, std::unique_ptr<lag::source> source);

// /v1/status's "lag" block: groups by status and the worst groups with their reasons.
nlohmann::json lag_status_section(const lag::monitor& monitor);

}  // namespace spate::app
