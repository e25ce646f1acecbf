#pragma once
// Prometheus' standard process metrics (process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds, ...), read from /proc/self when the exposition is rendered. Linux only; a
// value that cannot be read is left out of the exposition.
#include <optional>

#include "metrics/registry.h"

namespace spate::metrics {

struct process_stats {
  std::optional<double> cpu_seconds;
  std::optional<double> resident_bytes;
  std::optional<double> virtual_bytes;
  std::optional<double> open_fds;
  std::optional<double> max_fds;
  std::optional<double> start_time_seconds;
  std::optional<double> threads;
};

process_stats read_process_stats();

// Sets the collectors of the process_* families of `reg`.
void collect_process_metrics(registry& reg);

}  // namespace spate::metrics
