#include "quota/disk_gate.h"

#include <algorithm>

namespace spate::quota {

std::string_view to_string(disk_state state) {
  switch (state) {
    case disk_state::normal: return "normal";
    case disk_state::soft: return "soft";
    case disk_state::hard: return "hard";
  }
  return "unknown";
}

std::uint64_t effective_free_min_bytes(std::uint64_t configured, std::uint64_t fs_total_bytes) {
  if (fs_total_bytes == 0) return configured;
  return std::min(configured, fs_total_bytes / 50);
}

disk_usage filesystem_space(std::uint64_t blocks, std::uint64_t blocks_free, std::uint64_t blocks_available,
                            std::uint64_t block_size) {
  const auto available = std::min(blocks_available, blocks_free);
  const auto reserved = blocks_free - available;
  disk_usage usage;
  usage.fs_total_bytes = (blocks - std::min(reserved, blocks)) * block_size;
  usage.fs_free_bytes = available * block_size;
  return usage;
}

double usage_percent(const disk_limits& limits, const disk_usage& usage) {
  double percent = 0;
  if (limits.quota_bytes > 0) {
    percent = 100.0 * static_cast<double>(usage.used_bytes) / static_cast<double>(limits.quota_bytes);
  }
  if (usage.fs_total_bytes > 0) {
    const auto fs_used = usage.fs_total_bytes - std::min(usage.fs_free_bytes, usage.fs_total_bytes);
    percent = std::max(percent, 100.0 * static_cast<double>(fs_used) / static_cast<double>(usage.fs_total_bytes));
  }
  return percent;
}

namespace {

bool below_free_floor(const disk_limits& limits, const disk_usage& usage, std::uint64_t extra) {
  return usage.fs_total_bytes > 0 && usage.fs_free_bytes < limits.free_min_bytes + extra;
}

std::uint64_t margin_bytes(const disk_limits& limits, const disk_usage& usage) {
  return static_cast<std::uint64_t>(static_cast<double>(usage.fs_total_bytes) * limits.clear_margin_percent / 100.0);
}

}  // namespace

disk_state next_state(disk_state previous, const disk_limits& limits, const disk_usage& usage) {
  const double percent = usage_percent(limits, usage);
  const bool hard_now = percent >= limits.hard_percent || below_free_floor(limits, usage, 0);
  if (hard_now) return disk_state::hard;
  const double margin = limits.clear_margin_percent;
  if (previous == disk_state::hard) {
    const bool hard_cleared =
        percent < limits.hard_percent - margin && !below_free_floor(limits, usage, margin_bytes(limits, usage));
    if (!hard_cleared) return disk_state::hard;
  }
  if (previous == disk_state::normal) return percent >= limits.soft_percent ? disk_state::soft : disk_state::normal;
  return percent >= limits.soft_percent - margin ? disk_state::soft : disk_state::normal;
}

std::int64_t throttle_ms(const disk_limits& limits, double percent) {
  if (percent < limits.soft_percent || limits.max_throttle_ms <= 0) return 0;
  const double band = std::max(limits.hard_percent - limits.soft_percent, 1e-9);
  const double depth = std::clamp((percent - limits.soft_percent) / band, 0.0, 1.0);
  const auto ms = static_cast<std::int64_t>(static_cast<double>(limits.max_throttle_ms) * (0.1 + 0.9 * depth));
  return std::max<std::int64_t>(ms, 1);
}

std::uint64_t bytes_over_soft(const disk_limits& limits, const disk_usage& usage) {
  const double target = std::max(limits.soft_percent - limits.clear_margin_percent, 0.0) / 100.0;
  std::uint64_t over = 0;
  const auto excess = [target](std::uint64_t used, std::uint64_t limit) -> std::uint64_t {
    const auto allowed = static_cast<std::uint64_t>(static_cast<double>(limit) * target);
    return used > allowed ? used - allowed : 0;
  };
  if (limits.quota_bytes > 0) over = excess(usage.used_bytes, limits.quota_bytes);
  if (usage.fs_total_bytes > 0) {
    const auto fs_used = usage.fs_total_bytes - std::min(usage.fs_free_bytes, usage.fs_total_bytes);
    over = std::max(over, excess(fs_used, usage.fs_total_bytes));
  }
  return over;
}

disk_usage disk_gate::estimate() const {
  disk_usage usage;
  const auto appended = _appended_total.load(std::memory_order_relaxed);
  const auto at_measurement = _appended_at_measurement.load(std::memory_order_relaxed);
  const auto since = appended > at_measurement ? appended - at_measurement : 0;
  usage.used_bytes = _measured_used.load(std::memory_order_relaxed) + since;
  usage.fs_total_bytes = _measured_fs_total.load(std::memory_order_relaxed);
  const auto free = _measured_fs_free.load(std::memory_order_relaxed);
  usage.fs_free_bytes = free - std::min(free, since);
  return usage;
}

admission disk_gate::admit_produce() const {
  const auto usage = estimate();
  const double percent = usage_percent(_limits, usage);
  const auto state = _state.load(std::memory_order_acquire);
  admission out;
  if (state == disk_state::hard || percent >= _limits.hard_percent || below_free_floor(_limits, usage, 0)) {
    out.refuse = true;
    _refused.fetch_add(1, std::memory_order_relaxed);
    return out;
  }
  if (state == disk_state::soft || percent >= _limits.soft_percent) {
    out.throttle_ms = throttle_ms(_limits, std::max(percent, _limits.soft_percent));
    _throttled.fetch_add(1, std::memory_order_relaxed);
    _throttle_ms_total.fetch_add(static_cast<std::uint64_t>(out.throttle_ms), std::memory_order_relaxed);
  }
  return out;
}

disk_state disk_gate::update(const disk_usage& usage, std::uint64_t appended_before) {
  _measured_used.store(usage.used_bytes, std::memory_order_relaxed);
  _measured_fs_total.store(usage.fs_total_bytes, std::memory_order_relaxed);
  _measured_fs_free.store(usage.fs_free_bytes, std::memory_order_relaxed);
  _appended_at_measurement.store(appended_before, std::memory_order_relaxed);
  const auto state = next_state(_state.load(std::memory_order_relaxed), _limits, usage);
  _state.store(state, std::memory_order_release);
  return state;
}

}  // namespace spate::quota
