#pragma once
// The lag source for any Kafka cluster, over librdkafka (`spate lag-monitor`). Per tick: list the
// groups, describe them (members and assignments), fetch their committed offsets, query the log
// start, high watermark and last stable offset of every committed partition, and read the
// timestamp of the first unconsumed record of each lagging partition with small fetches (one
// forward read per partition for all groups on it; cached until the committed offset moves).
//
// What a remote observer cannot know, and so differs from the in-broker source:
// - the members' isolation level: the end offset is the high watermark unless the source is told
//   the consumers read committed (`read_committed`), then the last stable offset;
// - control records: offset lag is end - committed and counts transaction markers;
// - commit times, heartbeats and fetch positions: reported as unknown (-1).
//
// A tick is bounded by `tick_budget_ms`; timestamp fetches that do not fit are left unknown and
// tried again next tick. When the cluster cannot be reached the facts carry a one-line error and
// no groups; later ticks back off (return that error without network calls) for a growing delay,
// and librdkafka reconnects by itself.
//
// Thread-safety: none; the monitor calls sample() from its own thread.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lag/facts.h"

namespace spate::lag {

struct remote_config {
  std::string cluster = "remote";
  std::string brokers;  // bootstrap.servers
  // librdkafka properties (-X key=value), applied to every handle after spate's defaults.
  std::vector<std::pair<std::string, std::string>> properties;
  bool read_committed = false;  // end offset = last stable offset instead of the high watermark
  millis sample_interval_ms = 10'000;
  millis tick_budget_ms = 0;                 // a tick's network work; 0: 80% of the sample interval
  std::size_t max_timestamp_fetches = 1000;  // per tick
  millis max_backoff_ms = 5000;              // between attempts while the cluster is unreachable
};

class remote_source final : public source {
 public:
  // Creates the librdkafka handles (no network traffic yet). On a bad property returns null and
  // sets `error` to one line.
  static std::unique_ptr<remote_source> create(remote_config config, std::string& error);
  ~remote_source() override;
  remote_source(const remote_source&) = delete;
  remote_source& operator=(const remote_source&) = delete;

  cluster_facts sample(millis now) override;

  struct impl;

 private:
  explicit remote_source(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> _impl;
};

// Pure parts, exposed for tests.
namespace remote_detail {

// Records between what the group committed (or the log start, when nothing is committed or the
// committed records were deleted) and the end; -1 when the end is unknown.
std::int64_t offset_lag(std::int64_t committed, std::int64_t log_start, std::int64_t end);

// Where to read the first unconsumed record from: the committed offset, or the log start when
// nothing is committed or the committed records were deleted.
std::int64_t first_unconsumed_offset(std::int64_t committed, std::int64_t log_start);

// The delay before the next attempt after `failures` consecutive failed ticks (>= 1): the sample
// interval doubled per failure, at most `max_ms`.
millis backoff_ms(int failures, millis interval_ms, millis max_ms);

}  // namespace remote_detail

}  // namespace spate::lag
