#pragma once
// The lag monitor of one cluster: every sample interval, on a thread of its own, asks its source
// for facts, evaluates them, writes the tick to the history store, hands transitions to alerts and
// publishes the view as an immutable snapshot for readers (HTTP, metrics).
//
// Thread-safety: start()/stop() from one controlling thread; current(), history(), transitions()
// and the stats from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lag/alerts.h"
#include "lag/evaluation.h"
#include "lag/evaluator.h"
#include "lag/facts.h"
#include "lag/history_store.h"

namespace spate::lag {

struct monitor_config {
  std::string cluster = "local";
  millis sample_interval_ms = 10LL * 1000;
  evaluator_config evaluation;
  std::optional<store_config> history;  // none: no history
  alert_config alerts;
};

struct monitor_stats {
  std::uint64_t ticks = 0;
  millis last_tick_ms = 0;
  double last_tick_cpu_ms = 0;  // thread CPU time the last tick took
  std::uint64_t history_bytes = 0;
  std::string history_error;  // non-empty: history disabled or failing
};

class monitor {
 public:
  using wall_clock = std::function<millis()>;
  monitor(monitor_config config, std::unique_ptr<source> facts_source, wall_clock now);
  ~monitor();
  monitor(const monitor&) = delete;
  monitor& operator=(const monitor&) = delete;

  void start();
  void stop();
  // One tick now, on the caller's thread (tests; start() not called).
  void tick();

  const std::string& cluster() const;
  millis sample_interval_ms() const;
  // The latest view; an empty one before the first tick. Never null.
  std::shared_ptr<const cluster_view> current() const;
  // History from the store (readers open their own connection); empty without history.
  std::vector<history_point> history(const history_query& query) const;
  std::vector<transition> transitions(const transition_query& query) const;
  std::vector<history_gap> gaps(millis from_ms, millis to_ms) const;
  monitor_stats stats() const;
  alert_stats alerts() const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace spate::lag
