#pragma once
// The disk quota's monitor (docs/disk-quota.md): a thread that measures usage every
// disk.quota.check.interval.ms, publishes it to the produce path's quota::disk_gate, logs state
// changes, and in the soft and hard states carries out the trim policy (quota/trim_plan.h): it
// deletes the oldest closed segments of topics that allow it and reports which consumer groups
// lose records they had not read.
//
// Usage = the bytes of every partition log's segments (in memory, kept by storage on
// append/roll/delete) + the rest of the data directory (indexes, snapshots, checkpoints, lag.db),
// measured by a walk of the directory every reconcile interval; never a walk per tick.
//
// Thread-safety: status(), snapshot() and group_losses() may be called from any thread. Destroy it
// before the log manager closes: the destructor stops and joins the thread.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/config.h"
#include "quota/disk_gate.h"
#include "quota/trim_plan.h"

namespace spate::storage {
class log_manager;
}
namespace spate::group {
class coordinator;
}

namespace spate::app {

class disk_quota_service {
 public:
  // Measures once before returning, so the gate is right from the first request. Throws
  // std::invalid_argument for inconsistent settings (soft not below hard).
  disk_quota_service(storage::log_manager& logs, group::coordinator& groups,
                     const broker_config::disk_quota_settings& settings);
  ~disk_quota_service();
  disk_quota_service(const disk_quota_service&) = delete;
  disk_quota_service& operator=(const disk_quota_service&) = delete;

  // The produce path's side (broker_options::disk_quota).
  quota::disk_gate& gate() { return _gate; }

  struct totals {
    std::uint64_t trims = 0;  // partition trims
    std::uint64_t trimmed_segments = 0;
    std::uint64_t trimmed_bytes = 0;
    std::uint64_t trim_failures = 0;
  };
  totals snapshot() const;
  // Per group: records (offsets) trimmed before the group had read them, since start.
  std::map<std::string, std::uint64_t> group_losses() const;
  // /v1/status's "disk_quota" block.
  nlohmann::json status() const;
  // /v1/diag's "disk_quota" block: the five oldest segments the trim policy may delete next and
  // the latest trims.
  nlohmann::json diag() const;

 private:
  struct trim_record {
    std::int64_t at_ms = 0;
    quota::planned_trim trim;
  };

  void run();
  void tick();
  quota::disk_usage measure();
  void reconcile();
  void log_state_change(quota::disk_state from, quota::disk_state to, const quota::disk_usage& usage);
  std::vector<quota::trim_partition> trimmable_partitions() const;
  nlohmann::json oldest_trimmable(std::size_t n) const;
  void trim(const quota::disk_usage& usage);

  storage::log_manager& _logs;
  group::coordinator& _groups;
  const broker_config::disk_quota_settings _settings;
  quota::disk_gate _gate;

  // Touched by the monitor thread only (and the constructor before it starts).
  std::uint64_t _overhead_bytes = 0;  // data directory minus segments, at the last reconcile
  std::int64_t _next_reconcile_ms = 0;
  std::int64_t _episode_started_ms = 0;  // when the state left normal
  std::uint64_t _episode_throttled = 0;  // the gate's counters when it did
  std::uint64_t _episode_refused = 0;
  std::int64_t _last_state_line_ms = 0;

  mutable std::mutex _mutex;
  std::condition_variable _wake;
  bool _stopping = false;                            // guarded by _mutex
  totals _totals;                                    // guarded by _mutex
  std::deque<trim_record> _history;                  // guarded by _mutex; newest last
  std::map<std::string, std::uint64_t> _group_loss;  // guarded by _mutex
  quota::disk_usage _last_usage;                     // guarded by _mutex
  std::thread _thread;                               // last: started once everything above is ready
};

}  // namespace spate::app
