#pragma once
// The disk quota's answer to the produce path (docs/disk-quota.md): whether an append to a user
// topic is refused (hard state) and how long its producer is throttled (soft state).
//
// Usage is measured by the quota monitor (app/disk_quota_service) once per tick and published
// here with update(); between ticks the produce path adds what it appended (note_appended), so a
// burst cannot overshoot the hard threshold before the next measurement. The estimate only ever
// errs upwards: bytes appended while a measurement runs are counted twice until the next one.
//
// Usage is a percentage of a limit: of disk.quota.bytes for the broker's own data, and of the
// filesystem's size for everything on it (other processes share the disk); the higher counts.
//
// Thread-safety: admit(), note_appended() and the readers are lock-free and may be called from
// any thread; update() is called by one thread (the monitor).
#include <atomic>
#include <cstdint>
#include <string_view>

namespace spate::quota {

enum class disk_state : std::uint8_t { normal = 0, soft = 1, hard = 2 };
std::string_view to_string(disk_state state);

struct disk_limits {
  std::uint64_t quota_bytes = 0;        // disk.quota.bytes; 0: none, only the filesystem's size
  double soft_percent = 90;             // disk.quota.soft.percent
  double hard_percent = 98;             // disk.quota.hard.percent
  std::uint64_t free_min_bytes = 0;     // disk.free.min.bytes, already capped (effective_free_min_bytes)
  double clear_margin_percent = 2;      // disk.quota.clear.margin.percent: hysteresis
  std::int64_t max_throttle_ms = 1000;  // disk.quota.throttle.max.ms: the throttle at the hard threshold
};

// disk.free.min.bytes as configured, capped at 2% of the filesystem: on a small filesystem the
// configured floor alone would mean "always hard".
std::uint64_t effective_free_min_bytes(std::uint64_t configured, std::uint64_t fs_total_bytes);

// One measurement.
struct disk_usage {
  std::uint64_t used_bytes = 0;      // the broker's data directory
  std::uint64_t fs_total_bytes = 0;  // what the broker can fill (filesystem_space); 0: unknown
  std::uint64_t fs_free_bytes = 0;   // what is left of it: statvfs f_bavail * f_frsize
};

// A filesystem's size and free space as the broker sees them, from statvfs's counts (in blocks of
// `block_size`): blocks reserved for root or another user (ext4's reserved blocks, 5 % by default
// and far more on some hosts) are neither free nor part of the size, as in df's Size/Avail/Use%.
// Counting them as used would put a disk that df shows 67 % full at 90 %, and throttle producers.
disk_usage filesystem_space(std::uint64_t blocks, std::uint64_t blocks_free, std::uint64_t blocks_available,
                            std::uint64_t block_size);

// Percent of the limit in use: the higher of used/quota and (fs_total - fs_free)/fs_total.
double usage_percent(const disk_limits& limits, const disk_usage& usage);
// The state after `previous` (hysteresis: a state clears only below its threshold minus the
// margin; the free-space floor clears when free space is a margin above it).
disk_state next_state(disk_state previous, const disk_limits& limits, const disk_usage& usage);
// The produce throttle at this usage: 0 below the soft threshold, then from a tenth of
// max_throttle_ms at the soft threshold up to max_throttle_ms at the hard one.
std::int64_t throttle_ms(const disk_limits& limits, double percent);
// Bytes to free so that usage falls to the soft threshold minus the margin (0 when below).
std::uint64_t bytes_over_soft(const disk_limits& limits, const disk_usage& usage);

// What the produce path does with one request's appends.
struct admission {
  bool refuse = false;           // hard: answer with a retriable error, append nothing
  std::int64_t throttle_ms = 0;  // soft: throttle_time_ms and a muted connection
};

class disk_gate {
 public:
  explicit disk_gate(disk_limits limits) : _limits(limits) {}
  disk_gate(const disk_gate&) = delete;
  disk_gate& operator=(const disk_gate&) = delete;

  // Before appending to user topics: refused in the hard state, or when the estimate (last
  // measurement + appended since) reaches the hard threshold or the free-space floor. Counts the
  // request as throttled or refused.
  admission admit_produce() const;
  // After appending `bytes`.
  void note_appended(std::uint64_t bytes) { _appended_total.fetch_add(bytes, std::memory_order_relaxed); }
  // Bytes appended since start; the monitor reads it just before measuring.
  std::uint64_t appended_total() const { return _appended_total.load(std::memory_order_relaxed); }

  // Publishes a measurement taken after appended_total() returned `appended_before`; returns the
  // new state.
  disk_state update(const disk_usage& usage, std::uint64_t appended_before);

  const disk_limits& limits() const { return _limits; }
  disk_state state() const { return _state.load(std::memory_order_acquire); }
  // The last measurement plus what was appended since.
  disk_usage estimate() const;
  std::uint64_t throttled_requests() const { return _throttled.load(std::memory_order_relaxed); }
  std::uint64_t refused_requests() const { return _refused.load(std::memory_order_relaxed); }
  std::uint64_t throttle_ms_total() const { return _throttle_ms_total.load(std::memory_order_relaxed); }

 private:
  const disk_limits _limits;
  std::atomic<disk_state> _state{disk_state::normal};
  std::atomic<std::uint64_t> _measured_used{0};
  std::atomic<std::uint64_t> _measured_fs_total{0};
  std::atomic<std::uint64_t> _measured_fs_free{0};
  std::atomic<std::uint64_t> _appended_at_measurement{0};
  std::atomic<std::uint64_t> _appended_total{0};
  mutable std::atomic<std::uint64_t> _throttled{0};
  mutable std::atomic<std::uint64_t> _refused{0};
  mutable std::atomic<std::uint64_t> _throttle_ms_total{0};
};

}  // namespace spate::quota
