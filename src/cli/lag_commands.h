#pragma once
// `spate lag` (reads the lag API of a broker or of `spate lag-monitor`, like `spate status`) and
// `spate lag-monitor` (runs lag monitors for remote Kafka clusters and serves that API).
namespace CLI {
class App;
}

namespace spate::cli {

void register_lag_command(CLI::App& app);
void register_lag_monitor_command(CLI::App& app);

}  // namespace spate::cli
