#pragma once
// The in-broker lag source (lag/facts.h): each tick, every consumer group with committed offsets
// (Empty ones included) from the group coordinator, the named offsets of each partition it
// committed for, read from the live partition log, and the owners' fetch positions from the
// Fetch path.
//
// Exact where it can be cheaply:
//   - committed offsets, commit times, members, assignments: the coordinator's state.
//   - log start / high watermark / last stable offset: the partition log's atomics, every tick.
//   - end_offset: the last stable offset when the partition's owner (else the group's last seen
//     member) fetches read_committed, the high watermark otherwise.
//   - offset_lag: end - max(committed, log start) minus the control records (transaction markers)
//     in between, counted by walking batch headers. Each partition keeps the control offsets of the
//     window [lowest committed of its groups, highest end) and extends it as data arrives, so a
//     tick reads only newly produced headers. The walk has a per-tick header budget; while a window
//     does not yet cover a group's range (a large backlog the first time it is seen, or past the
//     budget), that partition's offset_lag is APPROXIMATE: end - committed, markers included.
//     Compaction gaps count as offsets, and records of aborted transactions as records, as in
//     Kafka's own lag.
//   - first_unconsumed_timestamp_ms: the first data record at or after the committed offset (one
//     bounded read, cached until the committed offset moves); -1 when caught up or not yet known.
//
// Threading: sample() runs on the monitor's thread only (its caches are unsynchronised). The
// components it reads are thread-safe and copied out under their own locks (lag_snapshot(),
// fetch_positions::snapshot()); partition reads run concurrently with appends, like fetches.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lag/facts.h"
#include "model/topic_partition.h"

namespace spate::storage {
class log_manager;
class partition_log;
}  // namespace spate::storage
namespace spate::group {
class coordinator;
}
namespace spate::broker {
class fetch_positions;
}

namespace spate::app {

struct lag_source_options {
  std::string cluster = "local";
  // Batch headers walked per tick, over all partitions, to count control records.
  std::size_t header_budget = 50'000;
  // A partition's cached control offsets stop growing past this many (its lag is then approximate
  // until consumers move past them).
  std::size_t max_cached_controls = 1'000'000;
  // Lookups of the first unconsumed record per tick (each at most one batch read), and the headers
  // one lookup may walk over consecutive transaction markers.
  std::size_t timestamp_lookups = 2'000;
  std::size_t headers_per_lookup = 64;
};

class broker_lag_source final : public lag::source {
 public:
  // Every reference must outlive the source.
  broker_lag_source(storage::log_manager& logs, group::coordinator& groups, broker::fetch_positions& positions,
                    lag_source_options options = {});
  ~broker_lag_source() override;

  lag::cluster_facts sample(lag::millis now) override;

  // For tests: headers walked by the last sample().
  std::size_t last_headers_read() const { return _last_headers_read; }

 private:
  struct control_window;
  struct first_record;
  struct partition_request;

  // Control records in [from, end), when the partition's window covers it; nullopt otherwise.
  std::optional<std::int64_t> control_count(const control_window& w, std::int64_t from, std::int64_t end) const;
  void extend_window(control_window& w, const std::shared_ptr<storage::partition_log>& log, std::int64_t from,
                     std::int64_t end, std::size_t& budget);
  lag::millis first_unconsumed(first_record& cache, const storage::partition_log& log, std::int64_t from,
                               std::int64_t end, std::size_t& lookups);

  storage::log_manager& _logs;
  group::coordinator& _groups;
  broker::fetch_positions& _positions;
  const lag_source_options _options;

  std::uint64_t _tick = 0;
  std::size_t _last_headers_read = 0;
  std::size_t _rotation = 0;  // which partition's window is extended first, for fairness
  std::map<model::topic_partition, std::unique_ptr<control_window>> _windows;
  std::map<std::pair<std::string, model::topic_partition>, std::unique_ptr<first_record>> _first_records;
  // The isolation level last seen in a fetch of each group's members: an Empty group keeps it.
  std::map<std::string, bool> _group_read_committed;
};

}  // namespace spate::app
