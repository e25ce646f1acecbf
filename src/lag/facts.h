#pragma once
// What a lag source reports at one tick: per consumer group and partition, the offsets and group
// facts the evaluator classifies. Two sources fill it in: the in-broker one (app/lag_source.cc,
// exact: reads storage and the group coordinator) and the remote one (lag/remote/, librdkafka).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spate::lag {

using millis = std::int64_t;  // wall-clock milliseconds since the epoch

struct partition_facts {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t committed_offset = -1;  // -1: nothing committed
  millis commit_time_ms = -1;          // when it was committed; -1 unknown
  std::int64_t log_start_offset = -1;
  std::int64_t high_watermark = -1;
  std::int64_t last_stable_offset = -1;
  // The end the group can read to: the last stable offset when its members fetch read_committed,
  // the high watermark otherwise (and when unknown). `read_committed` says which was chosen.
  bool read_committed = false;
  std::int64_t end_offset = -1;
  // Records in [committed_offset, end_offset) not counting control records (transaction markers).
  // When nothing is committed: counted from log_start_offset. -1: unknown.
  std::int64_t offset_lag = -1;
  // Timestamp of the first unconsumed data record (LogAppendTime topics: its append time).
  // -1 when caught up or unknown.
  millis first_unconsumed_timestamp_ms = -1;
  // The live member that owns this partition in the current assignment; empty when none.
  std::string owner_member_id;
  std::string owner_client_id;
  std::string owner_host;
  // The owner's latest fetch position for this partition and when it fetched; -1 unknown.
  std::int64_t fetch_position = -1;
  millis fetch_time_ms = -1;
};

struct member_facts {
  std::string member_id;
  std::string client_id;
  std::string host;
  millis last_heartbeat_ms = -1;
};

struct group_facts {
  std::string group;
  std::string state;  // Kafka's names: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead
  std::vector<member_facts> members;
  millis last_commit_ms = -1;
  std::vector<partition_facts> partitions;  // every partition the group has committed for
};

struct cluster_facts {
  std::string cluster;  // "local" in the broker; the configured name in remote mode
  millis taken_at_ms = 0;
  // Non-empty when the cluster could not be sampled (remote mode: unreachable). `groups` is then
  // empty and the evaluator keeps its state without inventing samples.
  std::string error;
  std::vector<group_facts> groups;
};

// Samples a cluster. Called from the monitor's own thread only, once per tick; may block (remote
// sources do network round trips) but must return within about one sample interval.
class source {
 public:
  virtual ~source() = default;
  virtual cluster_facts sample(millis now) = 0;
};

}  // namespace spate::lag
