#include "app/log_cleaner_service.h"

#include <chrono>

#include "base/log.h"

namespace spate::app {
namespace {

// Cleanings kept for /v1/status.
constexpr std::size_t recent_cleanings = 10;

double megabytes_per_second(std::uint64_t bytes, std::int64_t duration_ms) {
  return duration_ms > 0 ? static_cast<double>(bytes) / 1e6 / (static_cast<double>(duration_ms) / 1000.0) : 0.0;
}

nlohmann::json to_json(const storage::cleaning_stats& s, std::int64_t finished_ms) {
  return {{"topic", s.topic},
          {"partition", s.partition},
          {"bytes_read", s.bytes_read},
          {"bytes_written", s.bytes_written},
          {"records_removed", s.records_removed},
          {"segments_in", s.segments_in},
          {"segments_out", s.segments_out},
          {"cleaned_to_offset", s.end_offset},
          {"dirty_ratio_before", s.dirty_ratio},
          {"duration_ms", s.duration_ms},
          {"throttled_ms", s.throttled_ms},
          {"finished_ms", finished_ms}};
}

}  // namespace

log_cleaner_service::log_cleaner_service(storage::log_manager& logs, const broker_config::cleaner_settings& settings)
    : _logs(logs),
      _settings(settings),
      _storage_settings{.dedupe_buffer_size = static_cast<std::size_t>(settings.dedupe_buffer_size) /
                                              static_cast<std::size_t>(settings.threads)},
      _throttle(settings.io_max_bytes_per_second),
      _pool(std::make_unique<io::blocking_pool>(static_cast<std::size_t>(settings.threads), "cleaner")) {
  for (std::int32_t i = 0; i < settings.threads; ++i) _pool->submit([this] { run_loop(); });
}

log_cleaner_service::~log_cleaner_service() {
  {
    std::lock_guard lock(_mutex);
    _stopping = true;
  }
  _wake.notify_all();
  _pool.reset();  // joins the loops
}

void log_cleaner_service::run_loop() {
  std::unique_lock lock(_mutex);
  while (!_stopping) {
    lock.unlock();
    auto cleaned = _logs.clean_next(_storage_settings, _throttle);
    lock.lock();
    if (!cleaned) {
      ++_totals.failures;
      if (!_failing) {
        _failing = true;
        SPATE_LOG_WARN("event=log_cleaner_failed error={}", storage::to_string(cleaned.error()));
      }
    } else if (cleaned.value()) {
      if (_failing) {
        _failing = false;
        SPATE_LOG_INFO("event=log_cleaner_recovered");
      }
      lock.unlock();
      record(*cleaned.value());
      lock.lock();
      continue;  // more may be due: look again at once
    }
    _wake.wait_for(lock, std::chrono::milliseconds(_settings.backoff_ms), [this] { return _stopping; });
  }
}

void log_cleaner_service::record(const storage::cleaning_stats& s) {
  SPATE_LOG_INFO(
      "event=log_cleaned topic={} partition={} range={}..{} first_dirty={} segments_in={} segments_out={} "
      "bytes_read={} bytes_written={} records_removed={} dirty_ratio={:.3f} duration_ms={} throttled_ms={} "
      "mb_per_s={:.1f}",
      s.topic, s.partition, s.first_offset, s.end_offset, s.first_dirty_offset, s.segments_in, s.segments_out,
      s.bytes_read, s.bytes_written, s.records_removed, s.dirty_ratio, s.duration_ms, s.throttled_ms,
      megabytes_per_second(s.bytes_read, s.duration_ms));
  std::lock_guard lock(_mutex);
  ++_totals.cleanings;
  _totals.bytes_read += s.bytes_read;
  _totals.bytes_written += s.bytes_written;
  _totals.records_removed += s.records_removed;
  _totals.seconds += static_cast<double>(s.duration_ms) / 1000.0;
  _recent.push_back(
      {s, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count()});
  if (_recent.size() > recent_cleanings) _recent.pop_front();
}

log_cleaner_service::totals log_cleaner_service::snapshot() const {
  std::lock_guard lock(_mutex);
  return _totals;
}

nlohmann::json log_cleaner_service::status() const {
  nlohmann::json out;
  out["enabled"] = true;
  out["threads"] = _settings.threads;
  if (_settings.io_max_bytes_per_second < std::numeric_limits<double>::max())
    out["io_max_bytes_per_second"] = _settings.io_max_bytes_per_second;
  auto recent = nlohmann::json::array();
  {
    std::lock_guard lock(_mutex);
    out["cleanings"] = _totals.cleanings;
    out["bytes_read"] = _totals.bytes_read;
    out["bytes_written"] = _totals.bytes_written;
    out["records_removed"] = _totals.records_removed;
    out["seconds"] = _totals.seconds;
    out["failures"] = _totals.failures;
    for (auto it = _recent.rbegin(); it != _recent.rend(); ++it) recent.push_back(to_json(it->stats, it->finished_ms));
  }
  out["recent"] = std::move(recent);
  auto partitions = nlohmann::json::array();
  double max_dirty = 0;
  for (const auto& p : _logs.cleaner_states()) {
    max_dirty = std::max(max_dirty, p.dirty_ratio);
    partitions.push_back({{"topic", p.topic},
                          {"partition", p.partition},
                          {"dirty_ratio", p.dirty_ratio},
                          {"first_dirty_offset", p.first_dirty_offset},
                          {"last_cleaning_ms", p.last_cleaning_ms},
                          {"cleanings", p.cleanings},
                          {"in_progress", p.in_progress}});
  }
  out["max_dirty_ratio"] = max_dirty;
  out["partitions"] = std::move(partitions);
  return out;
}

}  // namespace spate::app
