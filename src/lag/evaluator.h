#pragma once
// The status machine (docs/lag.md): turns each tick's facts into lags, rates, an ETA and a status
// with a reason per partition and group, over a sliding window with hysteresis. Pure: no I/O, no
// clock of its own (time is the facts' taken_at_ms), so tests drive it tick by tick.
//
// Not thread-safe: the monitor calls it from its own thread only.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lag/evaluation.h"
#include "lag/facts.h"

namespace spate::lag {

struct evaluator_config {
  int window_ticks = 10;     // samples the rates and trends are taken over
  int hysteresis_ticks = 2;  // a softer status must hold this many ticks before it is reported
};

// One stored sample, as the history store gives it back on restart (so windows resume).
struct saved_sample {
  millis at_ms = 0;
  std::string group;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t committed_offset = -1;
  std::int64_t end_offset = -1;
  std::int64_t offset_lag = 0;
  millis time_lag_ms = 0;
};

// The last status of a partition (partition >= 0) or group (topic empty, partition -1).
struct saved_status {
  std::string group;
  std::string topic;
  std::int32_t partition = -1;
  status current = status::ok;
  std::string reason;
  millis since_ms = 0;
};

struct restored_state {
  std::vector<saved_sample> samples;  // oldest first
  std::vector<saved_status> statuses;
};

class evaluator {
 public:
  explicit evaluator(evaluator_config config = {});
  ~evaluator();
  evaluator(const evaluator&) = delete;
  evaluator& operator=(const evaluator&) = delete;

  // Evaluates one tick. When facts.error is set (cluster offline) nothing is evaluated: the view is
  // the last one with the error set, and no transitions are made.
  tick_result update(const cluster_facts& facts);
  // Seeds windows and statuses from the history store after a restart.
  void restore(const restored_state& state);

  struct partition_state;
  struct group_state;

 private:
  partition_view evaluate_partition(const partition_facts& f, partition_state& ps, bool live, bool resumed,
                                    const group_facts& group, millis now, std::vector<transition>& transitions);
  group_view evaluate_group(const group_facts& g, group_state& gs, millis now, tick_result& out);

  evaluator_config _config;
  std::map<std::string, std::unique_ptr<group_state>> _groups;
  cluster_view _last;
};

}  // namespace spate::lag
