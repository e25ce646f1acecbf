// log_manager's start-up: lock the data directory, read the topic metadata, open (and recover)
// every partition log, retire directories nobody owns (log_manager.h).
#include <chrono>

#include "base/log.h"
#include "storage/checkpoint.h"
#include "storage/file_names.h"
#include "storage/log_manager.h"

namespace spate::storage {
namespace {

void add_load_statistics(partition_log::load_statistics& sum, const partition_log::load_statistics& part) {
  sum.segments_loaded += part.segments_loaded;
  sum.segments_recovered += part.segments_recovered;
  sum.bytes_validated += part.bytes_validated;
  sum.bytes_truncated += part.bytes_truncated;
}

}  // namespace

result<void> log_manager::load() {
  const auto started = std::chrono::steady_clock::now();
  const auto& dir = _cfg.data_dir;
  if (!_fs.create_directory(dir)) {
    SPATE_LOG_ERROR("event=data_dir_unusable path={}", dir.string());
    return base::failure(errc::io_error);
  }
  if (auto r = lock_data_dir(); !r) return r;
  auto clean = _fs.exists(dir / clean_shutdown_file);
  if (!clean) return base::failure(errc::io_error);
  _opened_clean = *clean;
  auto partition_dirs = scan_data_dir();
  if (!partition_dirs) return base::failure(partition_dirs.error());
  if (auto r = load_topics(*partition_dirs); !r) return r;
  auto loaded = open_logs();
  if (!loaded) return base::failure(loaded.error());
  retire_stray_dirs(*partition_dirs);
  // From here on a crash is an unclean stop.
  if (_opened_clean) {
    if (!_fs.unlink(dir / clean_shutdown_file)) return base::failure(errc::io_error);
  }
  if (!_fs.sync_directory(dir)) return base::failure(errc::io_error);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  base::mutex_lock lock(_mutex);
  // The recovery summary: one line however many partitions there are.
  SPATE_LOG_INFO(
      "event=log_manager_loaded path={} topics={} partitions={} clean_shutdown={} fresh={} "
      "loaded_segments={} recovered_segments={} validated_bytes={} truncated_bytes={} duration_ms={}",
      dir.string(), _topics.size(), _logs.size(), _opened_clean, _fresh, loaded->segments_loaded,
      loaded->segments_recovered, loaded->bytes_validated, loaded->bytes_truncated, elapsed.count());
  return {};
}

result<void> log_manager::lock_data_dir() {
  const auto& dir = _cfg.data_dir;
  auto lock = _fs.lock(dir / lock_file);
  if (!lock) {
    if (lock.error() == std::errc::resource_unavailable_try_again) {
      SPATE_LOG_ERROR("event=data_dir_locked path={} reason=\"another broker process holds {}\"", dir.string(),
                      (dir / lock_file).string());
      return base::failure(errc::data_dir_locked);
    }
    return base::failure(errc::io_error);
  }
  _lock = std::move(*lock);
  return {};
}

result<std::vector<std::string>> log_manager::scan_data_dir() {
  const auto& dir = _cfg.data_dir;
  auto names = _fs.list_directory(dir);
  if (!names) return base::failure(errc::io_error);
  std::vector<std::string> partition_dirs;
  for (const auto& name : *names) {
    auto is_dir = _fs.is_directory(dir / name);
    if (!is_dir || !*is_dir) continue;
    if (is_delete_dir_name(name)) {
      remove_async(dir / name);
    } else if (parse_partition_dir_name(name)) {
      partition_dirs.push_back(name);
    }
  }
  return partition_dirs;
}

result<void> log_manager::load_topics(const std::vector<std::string>& partition_dirs) {
  const auto& dir = _cfg.data_dir;
  auto has_topics = _fs.exists(dir / topics_file);
  if (!has_topics) return base::failure(errc::io_error);
  if (*has_topics) {
    auto topics = read_topic_metadata(_fs, dir / topics_file);
    if (!topics) return base::failure(topics.error());
    base::mutex_lock lock(_mutex);
    _topics = std::move(*topics);
  } else if (!partition_dirs.empty()) {
    SPATE_LOG_ERROR(
        "event=topic_metadata_missing path={} partition_dirs={} reason=\"refusing to guess "
        "topics from directories\"",
        (dir / topics_file).string(), partition_dirs.size());
    return base::failure(errc::corrupt_log);
  } else {
    // A new data directory gets its (empty) metadata before any partition directory exists, so
    // a broker killed while creating its first topics finds stray directories to retire on the
    // next start rather than directories without metadata, which it refuses to guess from.
    _fresh = true;
    if (auto r = write_topics(); !r) return r;
  }
  return {};
}

result<partition_log::load_statistics> log_manager::open_logs() {
  const auto& dir = _cfg.data_dir;
  const auto recovery_points = read_checkpoint(_fs, dir / recovery_point_checkpoint_file);
  const auto start_offsets = read_checkpoint(_fs, dir / log_start_offset_checkpoint_file);
  auto lookup = [](const offset_checkpoint& c, const std::string& t, std::int32_t p) -> std::int64_t {
    auto it = c.find({t, p});
    return it == c.end() ? 0 : it->second;
  };
  topic_map topics;
  {
    base::mutex_lock lock(_mutex);
    topics = _topics;
  }
  partition_log::load_statistics total;
  for (const auto& [name, info] : topics) {
    auto cfg = apply_overrides(_cfg.log_defaults, info.configs);
    if (!cfg) return base::failure(errc::corrupt_log);
    partition_log::load_statistics topic_stats;
    std::uint64_t topic_bytes = 0;
    std::size_t topic_segments = 0;
    for (std::int32_t p = 0; p < info.partitions; ++p) {
      const auto pdir = dir / partition_dir_name(name, p);
      auto exists = _fs.is_directory(pdir);
      if (!exists) return base::failure(errc::io_error);
      std::shared_ptr<partition_log> log;
      if (!*exists) {
        SPATE_LOG_WARN("event=partition_dir_missing topic={} partition={} action=create_empty", name, p);
        auto created = create_partition(info, p, *cfg);
        if (!created) return base::failure(created.error());
        log = std::move(*created);
      } else {
        auto o = partition_options(name, p, *cfg);
        o.clean_shutdown = _opened_clean;
        o.recovery_point = lookup(recovery_points, name, p);
        o.log_start_offset = lookup(start_offsets, name, p);
        auto opened = partition_log::open(std::move(o));
        if (!opened) return base::failure(opened.error());
        log = std::move(*opened);
      }
      add_load_statistics(topic_stats, log->load_stats());
      topic_bytes += log->size_bytes();
      topic_segments += log->segment_count();
      base::mutex_lock lock(_mutex);
      _logs[{name, p}] = std::move(log);
    }
    SPATE_LOG_INFO(
        "event=topic_loaded topic={} partitions={} segments={} size_bytes={} recovered_segments={} "
        "validated_bytes={} truncated_bytes={}",
        name, info.partitions, topic_segments, topic_bytes, topic_stats.segments_recovered, topic_stats.bytes_validated,
        topic_stats.bytes_truncated);
    add_load_statistics(total, topic_stats);
  }
  return total;
}

void log_manager::retire_stray_dirs(const std::vector<std::string>& partition_dirs) {
  const auto& dir = _cfg.data_dir;
  for (const auto& name : partition_dirs) {
    const auto tp = parse_partition_dir_name(name);
    {
      base::mutex_lock lock(_mutex);
      auto it = _topics.find(tp->topic);
      if (it != _topics.end() && tp->partition < it->second.partitions) continue;
    }
    // A deletion that committed its metadata but crashed before renaming the directory.
    SPATE_LOG_WARN("event=stray_partition_dir path={} action=delete", (dir / name).string());
    (void)retire_dir(dir / name, tp->topic, tp->partition);
  }
}

}  // namespace spate::storage
