#include "io/fault_injection.h"

#include <cerrno>

namespace spate::io {

class faulty_file final : public file {
 public:
  faulty_file(fault_injecting_file_system& fs, std::unique_ptr<file> f,
              std::shared_ptr<fault_injecting_file_system::file_state> state)
      : _fs(fs), _f(std::move(f)), _state(std::move(state)) {}

  result<std::size_t> pread(std::span<std::uint8_t> out, std::uint64_t offset) override {
    auto r = _f->pread(out, offset);
    if (r) _fs._bytes_read.fetch_add(*r);
    return r;
  }
  result<void> pwrite(base::byte_span data, std::uint64_t offset) override {
    if (_fs._fail_writes.load()) return errno_failure(EIO);
    auto r = _f->pwrite(data, offset);
    if (r && _state) {
      std::lock_guard lock(_fs._mutex);
      _state->size = std::max(_state->size, offset + data.size());
    }
    return r;
  }
  result<void> datasync() override {
    std::function<void()> hook;
    {
      std::lock_guard lock(_fs._mutex);
      hook = _fs._before_datasync;
    }
    if (hook) hook();
    _fs._datasyncs.fetch_add(1);
    if (_fs.should_fail_sync()) return errno_failure(EIO);
    auto r = _f->datasync();
    if (r && _state) {
      std::lock_guard lock(_fs._mutex);
      _state->synced_size = _state->size;
    }
    return r;
  }
  result<void> write_back(std::uint64_t offset, std::uint64_t length, bool wait) override {
    if (_fs._fail_writes.load()) return errno_failure(EIO);
    return _f->write_back(offset, length, wait);
  }
  result<void> drop_from_cache(std::uint64_t offset, std::uint64_t length) override {
    std::uint64_t counted = length;
    if (length == 0) {  // to the end of the file
      auto size = _f->size();
      counted = size && *size > offset ? *size - offset : 0;
    }
    auto r = _f->drop_from_cache(offset, length);
    if (r) _fs._bytes_dropped_from_cache.fetch_add(counted);
    return r;
  }
  result<void> reserve(std::uint64_t offset, std::uint64_t length) override {
    if (_fs._fail_writes.load()) return errno_failure(EIO);
    return _f->reserve(offset, length);
  }
  result<void> truncate(std::uint64_t size) override {
    if (_fs._fail_writes.load()) return errno_failure(EIO);
    auto r = _f->truncate(size);
    if (r && _state) {
      std::lock_guard lock(_fs._mutex);
      _state->size = size;
      _state->synced_size = std::min(_state->synced_size, size);
    }
    return r;
  }
  result<std::uint64_t> size() override { return _f->size(); }
  int native_handle() const override { return _f->native_handle(); }

 private:
  fault_injecting_file_system& _fs;
  std::unique_ptr<file> _f;
  std::shared_ptr<fault_injecting_file_system::file_state> _state;
};

bool fault_injecting_file_system::should_fail_sync() {
  auto n = _fail_syncs_after.load();
  while (n > 0) {
    if (_fail_syncs_after.compare_exchange_weak(n, n - 1)) return false;
  }
  return n == 0;
}

result<std::unique_ptr<file>> fault_injecting_file_system::open(const std::filesystem::path& path,
                                                                open_options opts) {
  bool existed = true;
  if (opts.create) {
    auto e = _base.exists(path);
    if (!e) return base::failure(e.error());
    existed = *e;
  }
  auto f = _base.open(path, opts);
  if (!f) return base::failure(f.error());
  std::shared_ptr<file_state> state;
  if (opts.write || opts.create) {
    auto size = (*f)->size();
    if (!size) return base::failure(size.error());
    std::lock_guard lock(_mutex);
    auto& s = _files[path];
    if (!s) {
      s = std::make_shared<file_state>();
      // A file we have not seen is taken as durable as it is.
      s->size = s->synced_size = *size;
    }
    if (!existed) s->new_unsynced = true;
    if (opts.truncate) s->size = 0;
    state = s;
  }
  return std::unique_ptr<file>(new faulty_file(*this, std::move(*f), std::move(state)));
}

result<void> fault_injecting_file_system::rename(const std::filesystem::path& from,
                                                 const std::filesystem::path& to) {
  auto r = _base.rename(from, to);
  if (!r) return r;
  std::lock_guard lock(_mutex);
  if (auto it = _files.find(from); it != _files.end()) {
    auto s = it->second;
    _files.erase(it);
    // The new name is not durable until the directory is synced: model it as a new file.
    s->new_unsynced = true;
    _files[to] = std::move(s);
  } else {
    _files.erase(to);
  }
  return {};
}

result<void> fault_injecting_file_system::unlink(const std::filesystem::path& path) {
  auto r = _base.unlink(path);
  if (r) {
    std::lock_guard lock(_mutex);
    _files.erase(path);
  }
  return r;
}

result<void> fault_injecting_file_system::remove_all(const std::filesystem::path& path) {
  auto r = _base.remove_all(path);
  if (r) {
    std::lock_guard lock(_mutex);
    const auto prefix = path.native() + "/";
    std::erase_if(_files, [&](const auto& kv) {
      return kv.first == path || kv.first.native().starts_with(prefix);
    });
  }
  return r;
}

result<void> fault_injecting_file_system::create_directory(const std::filesystem::path& path) {
  auto existed = _base.exists(path);
  auto r = _base.create_directory(path);
  if (r && existed && !*existed) {
    std::lock_guard lock(_mutex);
    _new_dirs.insert(path);
  }
  return r;
}

result<void> fault_injecting_file_system::sync_directory(const std::filesystem::path& path) {
  _dir_syncs.fetch_add(1);
  auto r = _base.sync_directory(path);
  if (!r) return r;
  std::lock_guard lock(_mutex);
  for (auto& [p, s] : _files)
    if (p.parent_path() == path) s->new_unsynced = false;
  for (auto it = _new_dirs.begin(); it != _new_dirs.end();)
    it = it->parent_path() == path ? _new_dirs.erase(it) : std::next(it);
  return {};
}

void fault_injecting_file_system::crash() {
  std::lock_guard lock(_mutex);
  for (auto& [path, s] : _files) {
    bool dir_lost = false;
    for (const auto& d : _new_dirs)
      if (path.native().starts_with(d.native() + "/")) dir_lost = true;
    if (s->new_unsynced || dir_lost) {
      (void)_base.unlink(path);
      continue;
    }
    auto f = _base.open(path, {.write = true});
    if (f) (void)(*f)->truncate(s->synced_size);
    s->size = s->synced_size;
  }
  std::erase_if(_files, [](const auto& kv) { return kv.second->new_unsynced; });
  for (const auto& d : _new_dirs) (void)_base.remove_all(d);
  _new_dirs.clear();
}

}  // namespace spate::io
