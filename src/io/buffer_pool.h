#pragma once
// Reusable byte buffers for reads. Fresh memory costs a page fault per 4 KiB page on first touch
// (~15 µs each on the VMs we build on: ~4 ms for a 1 MiB fetch buffer), so fetch paths borrow a
// buffer whose pages are already mapped and give it back when the response has been written.
//
// Thread-safe. A lease returns its buffer to the pool when destroyed; the pool must outlive every
// lease. Buffers keep their size (never shrunk to zero) so their pages stay touched; users write
// into a prefix and track the used length themselves (storage::read_result does).
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "base/bytes.h"

namespace spate::io {

class buffer_pool {
 public:
  // Keeps at most `max_pooled` idle buffers; buffers larger than `max_buffer_bytes` are freed
  // instead of pooled, so one huge read cannot pin memory forever.
  explicit buffer_pool(std::size_t max_pooled = 64, std::size_t max_buffer_bytes = 16 << 20)
      : _max_pooled(max_pooled), _max_buffer_bytes(max_buffer_bytes) {}

  class lease {
   public:
    lease() = default;
    lease(buffer_pool* pool, base::byte_buffer buf) : _pool(pool), _buf(std::move(buf)) {}
    lease(lease&& o) noexcept : _pool(o._pool), _buf(std::move(o._buf)) { o._pool = nullptr; }
    lease& operator=(lease&& o) noexcept {
      if (this != &o) {
        release();
        _pool = o._pool;
        _buf = std::move(o._buf);
        o._pool = nullptr;
      }
      return *this;
    }
    ~lease() { release(); }
    base::byte_buffer& buffer() { return _buf; }
    base::byte_buffer* operator->() { return &_buf; }

   private:
    void release() {
      if (_pool) _pool->give_back(std::move(_buf));
      _pool = nullptr;
    }
    buffer_pool* _pool = nullptr;
    base::byte_buffer _buf;
  };

  lease acquire() {
    std::lock_guard lock(_mutex);
    if (_idle.empty()) return lease(this, {});
    auto buf = std::move(_idle.back());
    _idle.pop_back();
    return lease(this, std::move(buf));
  }

  std::size_t idle_count() const {
    std::lock_guard lock(_mutex);
    return _idle.size();
  }

 private:
  void give_back(base::byte_buffer buf) {
    if (buf.capacity() > _max_buffer_bytes) return;
    std::lock_guard lock(_mutex);
    if (_idle.size() < _max_pooled) _idle.push_back(std::move(buf));
  }

  const std::size_t _max_pooled;
  const std::size_t _max_buffer_bytes;
  mutable std::mutex _mutex;
  std::vector<base::byte_buffer> _idle;  // guarded by _mutex
};

}  // namespace spate::io
