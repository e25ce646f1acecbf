#include "storage/log_manager.h"

#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "storage/checkpoint.h"
#include "storage/file_names.h"

namespace spate::storage {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

topic_id random_topic_id() {
  static std::mutex m;
  static std::random_device rd;
  static std::mt19937_64 gen(rd());
  std::lock_guard lock(m);
  topic_id id;
  for (;;) {
    for (std::size_t i = 0; i < 16; i += 8) {
      const auto v = gen();
      for (std::size_t j = 0; j < 8; ++j) id[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
    }
    // Kafka reserves the zero id and the one with only the lowest bit set.
    topic_id zero{};
    topic_id one{};
    one[15] = 1;
    if (id != zero && id != one) return id;
  }
}

std::string random_hex() {
  const auto id = random_topic_id();
  std::string out;
  for (auto b : id) out += fmt::format("{:02x}", b);
  return out;
}

base::byte_span as_bytes(const std::string& s) {
  return base::byte_span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

}  // namespace

std::string topic_id_to_string(const topic_id& id) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (auto b : id) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kBase64Url[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kBase64Url[(acc << (6 - bits)) & 0x3f];
  return out;
}

std::optional<topic_id> topic_id_from_string(std::string_view s) {
  if (s.size() != 22) return std::nullopt;
  topic_id id{};
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (char c : s) {
    const char* p = std::char_traits<char>::find(kBase64Url, 64, c);
    if (!p) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kBase64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n < 16) id[n++] = static_cast<std::uint8_t>(acc >> bits);
    }
  }
  if (n != 16) return std::nullopt;
  return id;
}

log_manager::log_manager(storage_config cfg, dependencies deps)
    : _cfg(std::move(cfg)), _fs(*deps.fs), _clock(*deps.clock), _pool(*deps.pool) {}

log_manager::~log_manager() {
  // Unclean unless close() ran: logs are dropped without flushing; their waiters are told.
}

result<std::unique_ptr<log_manager>> log_manager::open(storage_config cfg, dependencies deps) {
  SPATE_ASSERT(deps.fs && deps.clock && deps.pool, "log_manager needs fs, clock and pool");
  std::unique_ptr<log_manager> m(new log_manager(std::move(cfg), deps));
  if (auto r = m->load(); !r) return base::failure(r.error());
  return m;
}

result<void> log_manager::load() {
  const auto& dir = _cfg.data_dir;
  if (!_fs.create_directory(dir)) {
    SPATE_LOG_ERROR("event=data_dir_unusable path={}", dir.string());
    return base::failure(errc::io_error);
  }
  auto lock = _fs.lock(dir / lock_file);
  if (!lock) {
    if (lock.error() == std::errc::resource_unavailable_try_again) {
      SPATE_LOG_ERROR("event=data_dir_locked path={} reason=\"another broker process holds {}\"",
                      dir.string(), (dir / lock_file).string());
      return base::failure(errc::data_dir_locked);
    }
    return base::failure(errc::io_error);
  }
  _lock = std::move(*lock);

  auto clean = _fs.exists(dir / clean_shutdown_file);
  if (!clean) return base::failure(errc::io_error);
  _opened_clean = *clean;

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

  // Topic metadata.
  auto has_topics = _fs.exists(dir / topics_file);
  if (!has_topics) return base::failure(errc::io_error);
  if (*has_topics) {
    auto bytes = io::read_whole_file(_fs, dir / topics_file);
    if (!bytes) return base::failure(errc::io_error);
    try {
      const auto j = nlohmann::json::parse(bytes->begin(), bytes->end());
      if (j.at("version").get<int>() != 1) return base::failure(errc::corrupt_log);
      for (const auto& t : j.at("topics")) {
        topic_info info;
        info.name = t.at("name").get<std::string>();
        auto id = topic_id_from_string(t.at("topic_id").get<std::string>());
        if (!id) return base::failure(errc::corrupt_log);
        info.id = *id;
        info.partitions = t.at("partitions").get<std::int32_t>();
        info.configs = t.at("configs").get<config_overrides>();
        _topics.emplace(info.name, std::move(info));
      }
    } catch (const nlohmann::json::exception& e) {
      SPATE_LOG_ERROR("event=topic_metadata_corrupt path={} error=\"{}\"", (dir / topics_file).string(), e.what());
      return base::failure(errc::corrupt_log);
    }
  } else if (!partition_dirs.empty()) {
    SPATE_LOG_ERROR("event=topic_metadata_missing path={} partition_dirs={} reason=\"refusing to guess "
                    "topics from directories\"",
                    (dir / topics_file).string(), partition_dirs.size());
    return base::failure(errc::corrupt_log);
  }

  const auto recovery_points = read_checkpoint(_fs, dir / recovery_point_checkpoint_file);
  const auto start_offsets = read_checkpoint(_fs, dir / log_start_offset_checkpoint_file);
  auto lookup = [](const offset_checkpoint& c, const std::string& t, std::int32_t p) -> std::int64_t {
    auto it = c.find({t, p});
    return it == c.end() ? 0 : it->second;
  };

  for (const auto& [name, info] : _topics) {
    auto cfg = apply_overrides(_cfg.log_defaults, info.configs);
    if (!cfg) return base::failure(errc::corrupt_log);
    for (std::int32_t p = 0; p < info.partitions; ++p) {
      const auto pdir = dir / partition_dir_name(name, p);
      auto exists = _fs.is_directory(pdir);
      if (!exists) return base::failure(errc::io_error);
      if (!*exists) {
        SPATE_LOG_WARN("event=partition_dir_missing topic={} partition={} action=create_empty", name, p);
        auto created = create_partition(info, p, *cfg);
        if (!created) return base::failure(created.error());
        _logs[{name, p}] = *created;
        continue;
      }
      partition_log::options o;
      o.topic = name;
      o.partition = p;
      o.dir = pdir;
      o.config = *cfg;
      o.fs = &_fs;
      o.clock = &_clock;
      o.pool = &_pool;
      o.clean_shutdown = _opened_clean;
      o.recovery_point = lookup(recovery_points, name, p);
      o.log_start_offset = lookup(start_offsets, name, p);
      auto log = partition_log::open(std::move(o));
      if (!log) return base::failure(log.error());
      _logs[{name, p}] = *log;
    }
  }
  // Directories of topics or partitions the metadata does not know: a deletion that committed its
  // metadata but crashed before renaming them.
  for (const auto& name : partition_dirs) {
    const auto tp = parse_partition_dir_name(name);
    auto it = _topics.find(tp->topic);
    if (it != _topics.end() && tp->partition < it->second.partitions) continue;
    SPATE_LOG_WARN("event=stray_partition_dir path={} action=delete", (dir / name).string());
    const auto doomed = dir / delete_dir_name(tp->topic, tp->partition, random_hex());
    if (_fs.rename(dir / name, doomed)) remove_async(doomed);
  }
  // From here on a crash is an unclean stop.
  if (_opened_clean) {
    if (!_fs.unlink(dir / clean_shutdown_file)) return base::failure(errc::io_error);
  }
  if (!_fs.sync_directory(dir)) return base::failure(errc::io_error);
  SPATE_LOG_INFO("event=log_manager_loaded path={} topics={} partitions={} clean_shutdown={}", dir.string(),
                 _topics.size(), _logs.size(), _opened_clean);
  return {};
}

void log_manager::remove_async(std::filesystem::path dir) {
  _pool.submit([&fs = _fs, dir = std::move(dir)] {
    if (!fs.remove_all(dir)) SPATE_LOG_WARN("event=dir_remove_failed path={}", dir.string());
  });
}

result<void> log_manager::write_topics() {
  nlohmann::json topics = nlohmann::json::array();
  for (const auto& [name, t] : _topics) {
    topics.push_back({{"name", t.name},
                      {"topic_id", topic_id_to_string(t.id)},
                      {"partitions", t.partitions},
                      {"configs", t.configs}});
  }
  const nlohmann::json j = {{"version", 1}, {"topics", topics}};
  const auto text = j.dump(2) + "\n";
  if (auto r = io::write_file_atomically(_fs, _cfg.data_dir / topics_file, as_bytes(text)); !r) {
    SPATE_LOG_ERROR("event=topic_metadata_write_failed error=\"{}\"", r.error().message());
    return base::failure(errc::io_error);
  }
  return {};
}

result<std::shared_ptr<partition_log>> log_manager::create_partition(const topic_info& t, std::int32_t p,
                                                                     const log_config& cfg) {
  const auto pdir = _cfg.data_dir / partition_dir_name(t.name, p);
  if (auto exists = _fs.exists(pdir); !exists || *exists) {
    // A leftover directory of that name holds somebody else's data: move it out of the way.
    if (!exists) return base::failure(errc::io_error);
    const auto doomed = _cfg.data_dir / delete_dir_name(t.name, p, random_hex());
    if (!_fs.rename(pdir, doomed)) return base::failure(errc::io_error);
    remove_async(doomed);
  }
  if (!_fs.create_directory(pdir)) return base::failure(errc::io_error);
  const auto meta = fmt::format("version: 0\ntopic_id: {}\n", topic_id_to_string(t.id));
  if (!io::write_file_atomically(_fs, pdir / partition_metadata_file, as_bytes(meta)))
    return base::failure(errc::io_error);
  partition_log::options o;
  o.topic = t.name;
  o.partition = p;
  o.dir = pdir;
  o.config = cfg;
  o.fs = &_fs;
  o.clock = &_clock;
  o.pool = &_pool;
  o.clean_shutdown = true;  // empty: nothing to recover
  auto log = partition_log::open(std::move(o));
  if (!log) return log;
  // The directory entry itself must be durable before the metadata names it.
  if (!_fs.sync_directory(_cfg.data_dir)) return base::failure(errc::io_error);
  return log;
}

result<topic_info> log_manager::create_topic(const std::string& name, std::int32_t partitions,
                                             const config_overrides& configs, std::optional<topic_id> id) {
  if (!is_valid_topic_name(name)) return base::failure(errc::invalid_topic);
  if (partitions <= 0) return base::failure(errc::invalid_partitions);
  auto cfg = apply_overrides(_cfg.log_defaults, configs);
  if (!cfg) return base::failure(cfg.error());
  std::lock_guard admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  {
    std::lock_guard lock(_mutex);
    if (_topics.contains(name)) return base::failure(errc::topic_exists);
  }
  topic_info info{name, id.value_or(random_topic_id()), partitions, configs};
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
      undo();
      return base::failure(log.error());
    }
    logs.push_back(*log);
  }
  {
    std::lock_guard lock(_mutex);
    _topics.emplace(name, info);
  }
  if (auto r = write_topics(); !r) {
    {
      std::lock_guard lock(_mutex);
      _topics.erase(name);
    }
    undo();
    return base::failure(r.error());
  }
  {
    std::lock_guard lock(_mutex);
    for (auto& l : logs) _logs[{name, l->partition()}] = l;
  }
  SPATE_LOG_INFO("event=topic_created topic={} topic_id={} partitions={}", name, topic_id_to_string(info.id),
                 partitions);
  return info;
}

result<void> log_manager::delete_topic(const std::string& name) {
  std::lock_guard admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  topic_info info;
  {
    std::lock_guard lock(_mutex);
    auto it = _topics.find(name);
    if (it == _topics.end()) return base::failure(errc::unknown_topic_or_partition);
    info = it->second;
    _topics.erase(it);
  }
  if (auto r = write_topics(); !r) {
    std::lock_guard lock(_mutex);
    _topics.emplace(name, info);
    return r;
  }
  std::vector<std::shared_ptr<partition_log>> logs;
  {
    std::lock_guard lock(_mutex);
    for (std::int32_t p = 0; p < info.partitions; ++p) {
      auto it = _logs.find({name, p});
      if (it == _logs.end()) continue;
      logs.push_back(std::move(it->second));
      _logs.erase(it);
    }
  }
  for (auto& log : logs) {
    (void)log->close();
    const auto doomed = _cfg.data_dir / delete_dir_name(name, log->partition(), random_hex());
    if (_fs.rename(log->dir(), doomed)) {
      remove_async(doomed);
    } else {
      SPATE_LOG_WARN("event=partition_dir_rename_failed path={}", log->dir().string());
    }
  }
  (void)_fs.sync_directory(_cfg.data_dir);
  SPATE_LOG_INFO("event=topic_deleted topic={} partitions={}", name, info.partitions);
  return {};
}

result<void> log_manager::add_partitions(const std::string& name, std::int32_t total) {
  std::lock_guard admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  topic_info info;
  {
    std::lock_guard lock(_mutex);
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
    if (!log) return base::failure(log.error());
    logs.push_back(*log);
  }
  const auto old = info.partitions;
  {
    std::lock_guard lock(_mutex);
    _topics[name].partitions = total;
  }
  if (auto r = write_topics(); !r) {
    std::lock_guard lock(_mutex);
    _topics[name].partitions = old;
    return r;
  }
  std::lock_guard lock(_mutex);
  for (auto& l : logs) _logs[{name, l->partition()}] = l;
  return {};
}

result<void> log_manager::alter_topic_config(const std::string& name, const config_overrides& configs) {
  auto cfg = apply_overrides(_cfg.log_defaults, configs);
  if (!cfg) return base::failure(cfg.error());
  std::lock_guard admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  config_overrides old;
  {
    std::lock_guard lock(_mutex);
    auto it = _topics.find(name);
    if (it == _topics.end()) return base::failure(errc::unknown_topic_or_partition);
    old = std::exchange(it->second.configs, configs);
  }
  if (auto r = write_topics(); !r) {
    std::lock_guard lock(_mutex);
    _topics[name].configs = old;
    return r;
  }
  std::lock_guard lock(_mutex);
  for (auto& [tp, log] : _logs)
    if (tp.first == name) log->update_config(*cfg);
  return {};
}

std::vector<topic_info> log_manager::list_topics() const {
  std::lock_guard lock(_mutex);
  std::vector<topic_info> out;
  for (const auto& [n, t] : _topics) out.push_back(t);
  return out;
}

std::optional<topic_info> log_manager::find_topic(const std::string& name) const {
  std::lock_guard lock(_mutex);
  auto it = _topics.find(name);
  if (it == _topics.end()) return std::nullopt;
  return it->second;
}

std::shared_ptr<partition_log> log_manager::get(const std::string& topic, std::int32_t partition) const {
  std::lock_guard lock(_mutex);
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
  std::lock_guard admin(_admin_mutex);
  if (auto w = write_checkpoints(); !w) return base::failure(w.error());
  return r;
}

result<retention_result> log_manager::enforce_retention() {
  std::vector<std::shared_ptr<partition_log>> logs;
  {
    std::lock_guard lock(_mutex);
    for (auto& [tp, l] : _logs) logs.push_back(l);
  }
  retention_result total;
  for (auto& l : logs) {
    auto r = l->enforce_retention();
    if (!r) continue;  // a failed log is reported by its own errors
    total.segments_deleted += r->segments_deleted;
    total.bytes_deleted += r->bytes_deleted;
  }
  if (total.segments_deleted > 0) {
    std::lock_guard admin(_admin_mutex);
    if (auto w = write_checkpoints(); !w) return base::failure(w.error());
  }
  return total;
}

std::size_t log_manager::expire_producers(std::int64_t expiration_ms) {
  std::vector<std::shared_ptr<partition_log>> logs;
  {
    std::lock_guard lock(_mutex);
    for (auto& [tp, l] : _logs) logs.push_back(l);
  }
  std::size_t expired = 0;
  for (auto& l : logs) expired += l->expire_producers(expiration_ms);
  return expired;
}

void log_manager::flush_if_due() {
  std::vector<std::shared_ptr<partition_log>> logs;
  {
    std::lock_guard lock(_mutex);
    for (auto& [tp, l] : _logs) logs.push_back(l);
  }
  for (auto& l : logs) l->flush_if_due();
}

result<void> log_manager::write_checkpoints() {
  offset_checkpoint rp;
  offset_checkpoint lso;
  {
    std::lock_guard lock(_mutex);
    for (const auto& [tp, l] : _logs) {
      rp[tp] = l->recovery_point();
      lso[tp] = l->log_start_offset();
    }
  }
  if (auto r = write_checkpoint(_fs, _cfg.data_dir / recovery_point_checkpoint_file, rp); !r) return r;
  return write_checkpoint(_fs, _cfg.data_dir / log_start_offset_checkpoint_file, lso);
}

result<void> log_manager::checkpoint() {
  std::lock_guard admin(_admin_mutex);
  if (_closed) return base::failure(errc::shutting_down);
  return write_checkpoints();
}

result<void> log_manager::close() {
  std::lock_guard admin(_admin_mutex);
  if (_closed) return {};
  _closed = true;
  std::vector<std::shared_ptr<partition_log>> logs;
  {
    std::lock_guard lock(_mutex);
    for (auto& [tp, l] : _logs) logs.push_back(l);
  }
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
