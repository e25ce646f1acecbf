#pragma once
// The lag monitor's Prometheus families, appended to /metrics: kafka-lag-exporter's names and
// labels (so its dashboards and alert rules work unchanged) plus spate's status and ETA.
// docs/lag.md lists them.
#include <memory>
#include <string>
#include <vector>

namespace spate::lag {

class monitor;

// Text exposition format 0.0.4, one block per family. Reads each monitor's current view.
std::string prometheus_text(const std::vector<std::shared_ptr<monitor>>& monitors);

}  // namespace spate::lag
