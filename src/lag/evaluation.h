#pragma once
// What the evaluator makes of the facts: per partition and group, the lags, rates, ETA and status
// with its reason; and the transitions and membership changes of a tick. The monitor publishes a
// cluster_view as an immutable snapshot; the store writes tick_results.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lag/facts.h"
#include "lag/status.h"

namespace spate::lag {

struct partition_view {
  partition_facts facts;  // the latest sample
  std::int64_t offset_lag = 0;
  millis time_lag_ms = 0;             // now - first_unconsumed_timestamp_ms; 0 when caught up
  double consume_rate = 0;            // records/s the committed offset advanced over the window
  double produce_rate = 0;            // records/s the end offset advanced over the window
  std::optional<double> eta_seconds;  // to catch up, when lag is shrinking
  status current = status::ok;
  std::string reason;  // for a human: why this status, with figures
  millis status_since_ms = 0;
};

struct group_view {
  std::string group;
  std::string state;  // Kafka's group state
  int members = 0;
  status current = status::ok;  // the worst partition's
  std::string reason;
  millis status_since_ms = 0;
  std::int64_t total_lag = 0;
  std::int64_t max_lag = 0;
  millis max_time_lag_ms = 0;
  std::optional<double> eta_seconds;          // the largest partition ETA when all lagging ones shrink
  std::vector<std::string> worst_partitions;  // "topic-partition" of those with the group's status
  std::vector<partition_view> partitions;
};

struct cluster_view {
  std::string cluster;
  millis taken_at_ms = 0;
  std::string error;  // non-empty: the cluster was offline at this tick (groups: the last known)
  std::vector<group_view> groups;
};

struct transition {
  millis at_ms = 0;
  std::string group;
  std::string topic;            // empty for a group-level transition
  std::int32_t partition = -1;  // -1 for a group-level transition
  status from = status::ok;
  status to = status::ok;
  std::string reason;
};

struct membership_change {
  millis at_ms = 0;
  std::string group;
  std::string member_id;
  std::string client_id;
  std::string host;
  bool joined = true;  // false: left
};

struct tick_result {
  cluster_view view;
  std::vector<transition> transitions;
  std::vector<membership_change> membership_changes;
};

}  // namespace spate::lag
