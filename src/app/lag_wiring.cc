#include "app/lag_wiring.h"

#include <chrono>
#include <map>

namespace spate::app {

std::shared_ptr<lag::monitor> make_lag_monitor(const broker_config& config, std::unique_ptr<lag::source> source) {
  auto monitor_config = config.lag;
  if (config.lag_history_enabled && monitor_config.history) {
    monitor_config.history->file = config.data_dir / "lag.db";
  } else {
    monitor_config.history.reset();
  }
  return std::make_shared<lag::monitor>(std::move(monitor_config), std::move(source), [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  });
}

nlohmann::json lag_status_section(const lag::monitor& monitor) {
  const auto view = monitor.current();
  const auto stats = monitor.stats();
  std::map<std::string, int> by_status;
  auto attention = nlohmann::json::array();
  for (const auto& g : view->groups) {
    ++by_status[std::string(lag::to_string(g.current))];
    if (g.current > lag::status::recovering) {
      attention.push_back({{"group", g.group},
                           {"status", lag::to_string(g.current)},
                           {"reason", g.reason},
                           {"total_lag", g.total_lag},
                           {"max_time_lag_ms", g.max_time_lag_ms}});
    }
  }
  return {
      {"cluster", view->cluster},
      {"sample_interval_ms", monitor.sample_interval_ms()},
      {"last_sample_ms", view->taken_at_ms},
      {"groups", view->groups.size()},
      {"groups_by_status", by_status},
      {"attention", attention},
      {"history_bytes", stats.history_bytes},
      {"history_error", stats.history_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(stats.history_error)}};
}

}  // namespace spate::app
