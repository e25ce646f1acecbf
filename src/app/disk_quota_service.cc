#include "app/disk_quota_service.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "base/log.h"
#include "base/log_limit.h"
#include "group/coordinator.h"
#include "model/topic_name.h"
#include "storage/log_manager.h"

namespace spate::app {
namespace {

constexpr std::size_t history_size = 100;
constexpr std::int64_t state_line_interval_ms = 60000;
constexpr std::string_view trim_enable_config = "quota.trim.enable";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

quota::disk_limits limits_from(const broker_config::disk_quota_settings& s, std::uint64_t fs_total) {
  quota::disk_limits limits;
  limits.quota_bytes = s.quota_bytes;
  limits.soft_percent = s.soft_percent;
  limits.hard_percent = s.hard_percent;
  limits.clear_margin_percent = s.clear_margin_percent;
  limits.free_min_bytes = quota::effective_free_min_bytes(s.free_min_bytes, fs_total);
  limits.max_throttle_ms = s.max_throttle_ms;
  return limits;
}

// statvfs of the data directory; zeros when it fails (then only the quota counts).
quota::disk_usage filesystem_space(const std::filesystem::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return {};
  return quota::filesystem_space(st.f_blocks, st.f_bfree, st.f_bavail, st.f_frsize);
}

// Bytes allocated to the files under `dir` (du): blocks, so preallocated index files count as
// what they occupy. Files vanishing meanwhile (deleted topics) are skipped.
std::uint64_t allocated_bytes(const std::filesystem::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      total += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

std::uint64_t segment_bytes(const storage::log_manager& logs) {
  std::uint64_t total = 0;
  for (const auto& log : logs.all_logs()) total += log->size_bytes();
  return total;
}

std::string losers_text(const std::vector<quota::group_loss>& losers) {
  if (losers.empty()) return "none";
  std::string out;
  for (const auto& l : losers) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", l.group, l.unread);
  }
  return out;
}

nlohmann::json trim_json(std::int64_t at_ms, const quota::planned_trim& t) {
  auto groups = nlohmann::json::array();
  for (const auto& l : t.losers) groups.push_back({{"group", l.group}, {"unread_records", l.unread}});
  return {{"time_ms", at_ms},
          {"topic", t.partition.topic},
          {"partition", t.partition.partition},
          {"from_offset", t.from_offset},
          {"to_offset", t.to_offset},
          {"segments", t.segments},
          {"bytes", t.bytes},
          {"max_timestamp", t.max_timestamp},
          {"groups_with_unread", std::move(groups)}};
}

}  // namespace

disk_quota_service::disk_quota_service(storage::log_manager& logs, group::coordinator& groups,
                                       const broker_config::disk_quota_settings& settings)
    : _logs(logs),
      _groups(groups),
      _settings(settings),
      _gate(limits_from(settings, filesystem_space(logs.data_dir()).fs_total_bytes)) {
  if (settings.soft_percent >= settings.hard_percent) {
    throw std::invalid_argument(fmt::format("disk.quota.soft.percent ({}) must be below disk.quota.hard.percent ({})",
                                            settings.soft_percent, settings.hard_percent));
  }
  tick();
  _thread = std::thread([this] { run(); });
}

disk_quota_service::~disk_quota_service() {
  {
    std::lock_guard lock(_mutex);
    _stopping = true;
  }
  _wake.notify_all();
  _thread.join();
}

void disk_quota_service::run() {
  std::unique_lock lock(_mutex);
  while (!_wake.wait_for(lock, std::chrono::milliseconds(_settings.check_interval_ms), [this] { return _stopping; })) {
    lock.unlock();
    tick();
    lock.lock();
  }
}

void disk_quota_service::reconcile() {
  // Segments first: a segment appended to during the walk makes the overhead err low by at most
  // what was appended, and the next reconcile corrects it.
  const auto segments = segment_bytes(_logs);
  const auto on_disk = allocated_bytes(_logs.data_dir());
  _overhead_bytes = on_disk > segments ? on_disk - segments : 0;
}

quota::disk_usage disk_quota_service::measure() {
  auto usage = filesystem_space(_logs.data_dir());
  usage.used_bytes = segment_bytes(_logs) + _overhead_bytes;
  return usage;
}

void disk_quota_service::tick() {
  const auto now = now_ms();
  if (now >= _next_reconcile_ms) {
    reconcile();
    _next_reconcile_ms = now + _settings.reconcile_interval_ms;
  }
  const auto appended_before = _gate.appended_total();
  const auto usage = measure();
  const auto previous = _gate.state();
  const auto state = _gate.update(usage, appended_before);
  {
    std::lock_guard lock(_mutex);
    _last_usage = usage;
  }
  if (state != previous) {
    log_state_change(previous, state, usage);
  } else if (state != quota::disk_state::normal && now - _last_state_line_ms >= state_line_interval_ms) {
    _last_state_line_ms = now;
    SPATE_LOG_WARN("event=disk_quota_state state={} since_s={} usage_percent={:.1f} used_bytes={} fs_free_bytes={}",
                   quota::to_string(state), (now - _episode_started_ms) / 1000,
                   quota::usage_percent(_gate.limits(), usage), usage.used_bytes, usage.fs_free_bytes);
  }
  if (state != quota::disk_state::normal) trim(usage);
}

void disk_quota_service::log_state_change(quota::disk_state from, quota::disk_state to,
                                          const quota::disk_usage& usage) {
  const auto now = now_ms();
  _last_state_line_ms = now;
  if (from == quota::disk_state::normal) {
    _episode_started_ms = now;
    _episode_throttled = _gate.throttled_requests();
    _episode_refused = _gate.refused_requests();
  }
  const double percent = quota::usage_percent(_gate.limits(), usage);
  if (to == quota::disk_state::normal) {
    SPATE_LOG_INFO(
        "event=disk_quota_normal disk quota back to normal after {} s; {} produce requests were throttled, {} refused "
        "usage_percent={:.1f} used_bytes={}",
        (now - _episode_started_ms) / 1000, _gate.throttled_requests() - _episode_throttled,
        _gate.refused_requests() - _episode_refused, percent, usage.used_bytes);
    return;
  }
  SPATE_LOG_WARN(
      "event=disk_quota_state from={} to={} usage_percent={:.1f} used_bytes={} quota_bytes={} fs_total_bytes={} "
      "fs_free_bytes={} {}",
      quota::to_string(from), quota::to_string(to), percent, usage.used_bytes, _gate.limits().quota_bytes,
      usage.fs_total_bytes, usage.fs_free_bytes,
      to == quota::disk_state::hard ? "appends to user topics are refused (retriable) until space is freed"
                                    : "producers are throttled and the trim policy runs");
}

std::vector<quota::trim_partition> disk_quota_service::trimmable_partitions() const {
  std::vector<quota::trim_partition> out;
  for (const auto& topic : _logs.list_topics()) {
    if (model::is_internal_topic(topic.name)) continue;
    if (auto it = topic.configs.find(std::string(trim_enable_config));
        it != topic.configs.end() && it->second == "false")
      continue;
    const auto config = _logs.topic_config(topic.name);
    if (!config || !config->delete_enabled()) continue;
    for (std::int32_t p = 0; p < topic.partitions; ++p) {
      const auto log = _logs.get(topic.name, p);
      if (!log || log->failed()) continue;
      const auto segments = log->segments();
      quota::trim_partition part;
      part.partition = {topic.name, p};
      part.log_start_offset = log->log_start_offset();
      const auto high_watermark = log->high_watermark();
      // Every segment but the last (the active one); only what readers could already see.
      for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
        const auto& s = *segments[i];
        if (s.next_offset() <= part.log_start_offset) continue;
        if (s.next_offset() > high_watermark) break;
        part.closed_segments.push_back({s.base_offset(), s.next_offset(), s.max_timestamp(), s.size()});
      }
      if (!part.closed_segments.empty()) out.push_back(std::move(part));
    }
  }
  return out;
}

void disk_quota_service::trim(const quota::disk_usage& /*usage*/) {
  const auto bytes = quota::bytes_over_soft(_gate.limits(), _gate.estimate());
  if (bytes == 0) return;
  const auto partitions = trimmable_partitions();
  if (partitions.empty()) return;
  quota::committed_offsets committed;
  for (const auto& group : _groups.lag_snapshot()) {
    for (const auto& o : group.offsets) committed[o.partition].push_back({group.group_id, o.offset});
  }
  const auto now = now_ms();
  const auto plan = quota::plan_trim(
      partitions, {.bytes_to_free = bytes, .now_ms = now, .min_age_ms = _settings.trim_min_age_ms}, committed);
  for (const auto& t : plan) {
    const auto moved = _logs.delete_records(t.partition.topic, t.partition.partition, t.to_offset);
    if (!moved) {
      SPATE_LOG_WARN_RATE_LIMITED("event=disk_quota_trim_failed topic={} partition={} to_offset={} error={}",
                                  t.partition.topic, t.partition.partition, t.to_offset,
                                  storage::to_string(moved.error()));
      std::lock_guard lock(_mutex);
      ++_totals.trim_failures;
      continue;
    }
    SPATE_LOG_WARN(
        "event=disk_quota_trim topic={} partition={} offsets={}-{} segments={} bytes={} newest_record_ms={} "
        "groups_losing_unread={}",
        t.partition.topic, t.partition.partition, t.from_offset, t.to_offset - 1, t.segments, t.bytes, t.max_timestamp,
        losers_text(t.losers));
    std::lock_guard lock(_mutex);
    ++_totals.trims;
    _totals.trimmed_segments += t.segments;
    _totals.trimmed_bytes += t.bytes;
    for (const auto& l : t.losers) _group_loss[l.group] += static_cast<std::uint64_t>(l.unread);
    _history.push_back({now, t});
    if (_history.size() > history_size) _history.pop_front();
  }
}

disk_quota_service::totals disk_quota_service::snapshot() const {
  std::lock_guard lock(_mutex);
  return _totals;
}

std::map<std::string, std::uint64_t> disk_quota_service::group_losses() const {
  std::lock_guard lock(_mutex);
  return _group_loss;
}

nlohmann::json disk_quota_service::status() const {
  const auto& limits = _gate.limits();
  const auto usage = _gate.estimate();
  const auto state = _gate.state();
  const double percent = quota::usage_percent(limits, usage);
  std::uint64_t free = usage.fs_free_bytes;
  if (limits.quota_bytes > 0)
    free = std::min(free, limits.quota_bytes - std::min(limits.quota_bytes, usage.used_bytes));
  nlohmann::json out{
      {"state", quota::to_string(state)},
      {"quota_bytes", limits.quota_bytes > 0 ? nlohmann::json(limits.quota_bytes) : nlohmann::json(nullptr)},
      {"used_bytes", usage.used_bytes},
      {"free_bytes", free},
      {"fs_total_bytes", usage.fs_total_bytes},
      {"fs_free_bytes", usage.fs_free_bytes},
      {"usage_percent", percent},
      {"soft_pct", limits.soft_percent},
      {"hard_pct", limits.hard_percent},
      {"free_min_bytes", limits.free_min_bytes},
      {"throttle_ms", state == quota::disk_state::hard ? 0 : quota::throttle_ms(limits, percent)},
      {"throttled_produce_requests", _gate.throttled_requests()},
      {"refused_produce_requests", _gate.refused_requests()},
  };
  std::lock_guard lock(_mutex);
  out["trimmed_segments"] = _totals.trimmed_segments;
  out["trimmed_bytes"] = _totals.trimmed_bytes;
  auto losers = nlohmann::json::array();
  for (const auto& [group, unread] : _group_loss) losers.push_back({{"group", group}, {"unread_records", unread}});
  out["groups_with_trimmed_unread"] = std::move(losers);
  auto recent = nlohmann::json::array();
  for (auto it = _history.rbegin(); it != _history.rend() && recent.size() < 20; ++it)
    recent.push_back(trim_json(it->at_ms, it->trim));
  out["recent_trims"] = std::move(recent);
  return out;
}

nlohmann::json disk_quota_service::oldest_trimmable(std::size_t n) const {
  struct candidate {
    const quota::trim_partition* partition;
    quota::trim_segment segment;
  };
  const auto partitions = trimmable_partitions();
  const auto now = now_ms();
  std::vector<candidate> all;
  for (const auto& p : partitions) {
    for (const auto& s : p.closed_segments) {
      if (now - s.max_timestamp < _settings.trim_min_age_ms) break;
      all.push_back({&p, s});
    }
  }
  std::sort(all.begin(), all.end(),
            [](const candidate& a, const candidate& b) { return a.segment.max_timestamp < b.segment.max_timestamp; });
  auto out = nlohmann::json::array();
  for (std::size_t i = 0; i < all.size() && i < n; ++i) {
    const auto& c = all[i];
    out.push_back({{"topic", c.partition->partition.topic},
                   {"partition", c.partition->partition.partition},
                   {"base_offset", c.segment.base_offset},
                   {"next_offset", c.segment.next_offset},
                   {"max_timestamp", c.segment.max_timestamp},
                   {"bytes", c.segment.bytes}});
  }
  return out;
}

nlohmann::json disk_quota_service::diag() const {
  auto recent = nlohmann::json::array();
  {
    std::lock_guard lock(_mutex);
    for (auto it = _history.rbegin(); it != _history.rend() && recent.size() < 5; ++it)
      recent.push_back(trim_json(it->at_ms, it->trim));
  }
  return {{"state", quota::to_string(_gate.state())},
          {"oldest_trimmable_segments", oldest_trimmable(5)},
          {"recent_trims", std::move(recent)}};
}

}  // namespace spate::app
