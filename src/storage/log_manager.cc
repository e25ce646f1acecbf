#include "storage/log_manager.h"

#include <fmt/format.h>

#include "base/log.h"
#include "model/topic_name.h"
#include "storage/checkpoint.h"
#include "storage/file_names.h"

namespace spate::storage {
namespace {

std::string random_hex() {
  const auto id = model::random_uuid();
  std::string out;
  for (auto b : id.value) out += fmt::format("{:02x}", b);
  return out;
}

base::byte_span as_bytes(const std::string& s) {
  return base::byte_span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

}  // namespace

log_manager::log_manager(storage_config cfg, dependencies deps)
    : _cfg(std::move(cfg)),
      _fs(*deps.fs),
      _clock(*deps.clock),
      _pool(*deps.pool),
      _fsync_seconds(deps.fsync_seconds),
      _group_commit_batches(deps.group_commit_batches) {}

log_manager::~log_manager() {
  // Unclean unless close() ran: logs are dropped without flushing; their waiters are told.
}

result<std::unique_ptr<log_manager>> log_manager::open(storage_config cfg, dependencies deps) {
  SPATE_ASSERT(deps.fs && deps.clock && deps.pool, "log_manager needs fs, clock and pool");
  std::unique_ptr<log_manager> m(new log_manager(std::move(cfg), deps));
  base::mutex_lock admin(m->_admin_mutex);
  if (auto r = m->load(); !r) return base::failure(r.error());
  return m;
}

void log_manager::remove_async(std::filesystem::path dir) {
  _pool.submit([&fs = _fs, dir = std::move(dir)] {
    if (!fs.remove_all(dir)) SPATE_LOG_WARN("event=dir_remove_failed path={}", dir.string());
  });
}

bool log_manager::retire_dir(const std::filesystem::path& dir, const std::string& topic, std::int32_t p) {
  const auto doomed = _cfg.data_dir / delete_dir_name(topic, p, random_hex());
  if (!_fs.rename(dir, doomed)) {
    SPATE_LOG_WARN("event=partition_dir_rename_failed path={}", dir.string());
    return false;
  }
  remove_async(doomed);
  return true;
}

std::vector<std::shared_ptr<partition_log>> log_manager::all_logs() const {
  std::vector<std::shared_ptr<partition_log>> logs;
  base::mutex_lock lock(_mutex);
  for (const auto& [tp, l] : _logs) logs.push_back(l);
  return logs;
}

result<void> log_manager::write_topics() {
  std::string text;
  {
    base::mutex_lock lock(_mutex);
    text = encode_topic_metadata(_topics);
  }
  if (auto r = io::write_file_atomically(_fs, _cfg.data_dir / topics_file, as_bytes(text)); !r) {
    SPATE_LOG_ERROR("event=topic_metadata_write_failed error=\"{}\"", r.error().message());
    return base::failure(errc::io_error);
  }
  return {};
}

partition_log::options log_manager::partition_options(const std::string& topic, std::int32_t p,
                                                      const log_config& cfg) const {
  partition_log::options o;
  o.topic = topic;
  o.partition = p;
  o.dir = _cfg.data_dir / partition_dir_name(topic, p);
  o.config = cfg;
  o.fs = &_fs;
  o.clock = &_clock;
  o.pool = &_pool;
  o.fsync_seconds = _fsync_seconds;
  o.group_commit_batches = _group_commit_batches;
  o.page_cache_keep_bytes = _cfg.page_cache_keep_bytes;
  return o;
}

result<std::shared_ptr<partition_log>> log_manager::create_partition(const topic_info& t, std::int32_t p,
                                                                     const log_config& cfg) {
  const auto pdir = _cfg.data_dir / partition_dir_name(t.name, p);
  if (auto exists = _fs.exists(pdir); !exists || *exists) {
    // A leftover directory of that name holds somebody else's data: move it out of the way.
    if (!exists) return base::failure(errc::io_error);
    if (!retire_dir(pdir, t.name, p)) return base::failure(errc::io_error);
  }
  if (auto r = _fs.create_directory(pdir); !r) return base::failure(from_os_error(r.error()));
  const auto meta = fmt::format("version: 0\ntopic_id: {}\n", model::to_string(t.id));
  if (auto r = io::write_file_atomically(_fs, pdir / partition_metadata_file, as_bytes(meta)); !r)
    return base::failure(from_os_error(r.error()));
  auto o = partition_options(t.name, p, cfg);
  o.clean_shutdown = true;  // empty: nothing to recover
  auto log = partition_log::open(std::move(o));
  if (!log) return log;
  // The directory entry itself must be durable before the metadata names it.
  if (auto r = _fs.sync_directory(_cfg.data_dir); !r) return base::failure(from_os_error(r.error()));
  return log;
}

result<topic_info> log_manager::create_topic(const std::string& name, std::int32_t partitions,
                                             const config_overrides& configs, std::optional<topic_id> id) {
  if (!model::is_valid_topic_name(name)) return base::failure(errc::invalid_topic);
  if (partitions <= 0) return base::failure(errc::invalid_partitions);
  auto cfg = apply_overrides(_cfg.log_defaults, configs);
  if (!cfg) return base::failure(cfg.error());
  base::mutex_lock admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  {
    base::mutex_lock lock(_mutex);
    if (_topics.contains(name)) return base::failure(errc::topic_exists);
  }
  topic_info info{name, id.value_or(model::random_uuid()), partitions, configs};
  std::vector<std::shared_ptr<partition_log>> logs;
  auto undo = [&] {
    for (auto& l : logs) {
      (void)l->close();
      (void)_fs.remove_all(l->dir());
    }
  };
  for (std::int32_t p = 0; p < partitions; ++p) {
    auto log = create_partition(info, p, *cfg);
    if (!log) {
      log = base::failure(descriptor_shortage(log.error()));  // before undo() frees descriptors
      undo();
      if (log.error() == errc::too_many_open_files)
        SPATE_LOG_ERROR("event=topic_create_failed topic={} partitions={} error=\"{}\"", name, partitions,
                        too_many_open_files_message(partitions));
      return base::failure(log.error());
    }
    logs.push_back(*log);
  }
  {
    base::mutex_lock lock(_mutex);
    _topics.emplace(name, info);
  }
  if (auto r = write_topics(); !r) {
    {
      base::mutex_lock lock(_mutex);
      _topics.erase(name);
    }
    undo();
    return base::failure(r.error());
  }
  {
    base::mutex_lock lock(_mutex);
    for (auto& l : logs) _logs[{name, l->partition()}] = l;
  }
  SPATE_LOG_INFO("event=topic_created topic={} topic_id={} partitions={}", name, model::to_string(info.id), partitions);
  return info;
}

result<void> log_manager::delete_topic(const std::string& name) {
  base::mutex_lock admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  topic_info info;
  {
    base::mutex_lock lock(_mutex);
    auto it = _topics.find(name);
    if (it == _topics.end()) return base::failure(errc::unknown_topic_or_partition);
    info = it->second;
    _topics.erase(it);
  }
  if (auto r = write_topics(); !r) {
    base::mutex_lock lock(_mutex);
    _topics.emplace(name, info);
    return r;
  }
  std::vector<std::shared_ptr<partition_log>> logs;
  {
    base::mutex_lock lock(_mutex);
    for (std::int32_t p = 0; p < info.partitions; ++p) {
      auto it = _logs.find({name, p});
      if (it == _logs.end()) continue;
      logs.push_back(std::move(it->second));
      _logs.erase(it);
    }
  }
  stop_cleaning(logs, /*forget=*/true);
  for (auto& log : logs) {
    (void)log->close();
    (void)retire_dir(log->dir(), name, log->partition());
  }
  (void)_fs.sync_directory(_cfg.data_dir);
  SPATE_LOG_INFO("event=topic_deleted topic={} partitions={}", name, info.partitions);
  return {};
}

result<void> log_manager::add_partitions(const std::string& name, std::int32_t total) {
  base::mutex_lock admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  topic_info info;
  {
    base::mutex_lock lock(_mutex);
    auto it = _topics.find(name);
    if (it == _topics.end()) return base::failure(errc::unknown_topic_or_partition);
    info = it->second;
  }
  if (total <= info.partitions) return base::failure(errc::invalid_partitions);
  auto cfg = apply_overrides(_cfg.log_defaults, info.configs);
  if (!cfg) return base::failure(cfg.error());
  std::vector<std::shared_ptr<partition_log>> logs;
  for (std::int32_t p = info.partitions; p < total; ++p) {
    auto log = create_partition(info, p, *cfg);
    if (!log) {
      log = base::failure(descriptor_shortage(log.error()));
      if (log.error() == errc::too_many_open_files)
        SPATE_LOG_ERROR("event=partitions_create_failed topic={} partitions={} error=\"{}\"", name,
                        total - info.partitions, too_many_open_files_message(total - info.partitions));
      return base::failure(log.error());
    }
    logs.push_back(*log);
  }
  const auto old = info.partitions;
  {
    base::mutex_lock lock(_mutex);
    _topics[name].partitions = total;
  }
  if (auto r = write_topics(); !r) {
    base::mutex_lock lock(_mutex);
    _topics[name].partitions = old;
    return r;
  }
  base::mutex_lock lock(_mutex);
  for (auto& l : logs) _logs[{name, l->partition()}] = l;
  return {};
}

result<void> log_manager::alter_topic_config(const std::string& name, const config_overrides& configs) {
  auto cfg = apply_overrides(_cfg.log_defaults, configs);
  if (!cfg) return base::failure(cfg.error());
  base::mutex_lock admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  config_overrides old;
  {
    base::mutex_lock lock(_mutex);
    auto it = _topics.find(name);
    if (it == _topics.end()) return base::failure(errc::unknown_topic_or_partition);
    old = std::exchange(it->second.configs, configs);
  }
  if (auto r = write_topics(); !r) {
    base::mutex_lock lock(_mutex);
    _topics[name].configs = old;
    return r;
  }
  base::mutex_lock lock(_mutex);
  for (auto& [tp, log] : _logs)
    if (tp.topic == name) log->update_config(*cfg);
  return {};
}

std::vector<topic_info> log_manager::list_topics() const {
  base::mutex_lock lock(_mutex);
  std::vector<topic_info> out;
  for (const auto& [n, t] : _topics) out.push_back(t);
  return out;
}

std::optional<topic_info> log_manager::find_topic(const std::string& name) const {
  base::mutex_lock lock(_mutex);
  auto it = _topics.find(name);
  if (it == _topics.end()) return std::nullopt;
  return it->second;
}

std::shared_ptr<partition_log> log_manager::get(const std::string& topic, std::int32_t partition) const {
  base::mutex_lock lock(_mutex);
  auto it = _logs.find({topic, partition});
  return it == _logs.end() ? nullptr : it->second;
}

result<log_config> log_manager::topic_config(const std::string& name) const {
  auto t = find_topic(name);
  if (!t) return base::failure(errc::unknown_topic_or_partition);
  return apply_overrides(_cfg.log_defaults, t->configs);
}

result<std::int64_t> log_manager::delete_records(const std::string& topic, std::int32_t partition,
                                                 std::int64_t offset) {
  auto log = get(topic, partition);
  if (!log) return base::failure(errc::unknown_topic_or_partition);
  auto r = log->delete_records(offset);
  if (!r) return r;
  base::mutex_lock admin(_admin_mutex);
  if (auto w = write_checkpoints(); !w) return base::failure(w.error());
  return r;
}

result<retention_result> log_manager::enforce_retention() {
  const auto logs = all_logs();
  retention_result total;
  for (auto& l : logs) {
    auto r = l->enforce_retention();
    if (!r) continue;  // a failed log is reported by its own errors
    total.segments_deleted += r->segments_deleted;
    total.bytes_deleted += r->bytes_deleted;
  }
  if (total.segments_deleted > 0) {
    base::mutex_lock admin(_admin_mutex);
    if (auto w = write_checkpoints(); !w) return base::failure(w.error());
  }
  return total;
}

std::size_t log_manager::expire_producers(std::int64_t expiration_ms) {
  const auto logs = all_logs();
  std::size_t expired = 0;
  for (auto& l : logs) expired += l->expire_producers(expiration_ms);
  return expired;
}

void log_manager::flush_if_due() {
  const auto logs = all_logs();
  for (auto& l : logs) l->flush_if_due();
}

result<void> log_manager::write_checkpoints() {
  offset_checkpoint rp;
  offset_checkpoint lso;
  {
    base::mutex_lock lock(_mutex);
    for (const auto& [tp, l] : _logs) {
      rp[tp] = l->recovery_point();
      lso[tp] = l->log_start_offset();
    }
  }
  if (auto r = write_checkpoint(_fs, _cfg.data_dir / recovery_point_checkpoint_file, rp); !r) return r;
  return write_checkpoint(_fs, _cfg.data_dir / log_start_offset_checkpoint_file, lso);
}

result<void> log_manager::checkpoint() {
  base::mutex_lock admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  return write_checkpoints();
}

result<void> log_manager::close() {
  base::mutex_lock admin(_admin_mutex);
  if (_closed) return {};
  _closed = true;
  const auto logs = all_logs();
  stop_cleaning(logs, /*forget=*/false);
  bool all_ok = true;
  for (auto& l : logs) all_ok = l->close().has_value() && all_ok;
  if (auto r = write_checkpoints(); !r) return r;
  if (!all_ok) {
    // A log that failed to sync must be recovered: no clean-shutdown marker.
    SPATE_LOG_ERROR("event=log_manager_closed clean=false path={}", _cfg.data_dir.string());
    return base::failure(errc::io_error);
  }
  {
    auto f = _fs.open(_cfg.data_dir / clean_shutdown_file, {.write = true, .create = true, .truncate = true});
    if (!f || !(*f)->datasync()) return base::failure(errc::io_error);
  }
  if (!_fs.sync_directory(_cfg.data_dir)) return base::failure(errc::io_error);
  SPATE_LOG_INFO("event=log_manager_closed clean=true path={}", _cfg.data_dir.string());
  return {};
}

}  // namespace spate::storage
