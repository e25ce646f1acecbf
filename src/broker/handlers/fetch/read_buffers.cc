#include "broker/handlers/fetch/read_buffers.h"

#include <vector>

#include "base/mutex.h"

namespace spate::broker::fetch {
namespace {

// Enough for the fetches in flight on two event loops at librdkafka's default 1 MiB per partition;
// a buffer grown past the cap by a large max.partition.fetch.bytes is freed, not kept.
constexpr std::size_t pooled_buffers = 16;
constexpr std::size_t pooled_buffer_max_bytes = std::size_t{4} << 20;

class read_buffer_pool {
 public:
  std::unique_ptr<base::byte_buffer> take() {
    base::mutex_lock lock(_mutex);
    if (_free.empty()) return std::make_unique<base::byte_buffer>();
    auto buffer = std::move(_free.back());
    _free.pop_back();
    return buffer;
  }

  void give_back(std::unique_ptr<base::byte_buffer> buffer) {
    if (buffer->capacity() > pooled_buffer_max_bytes || buffer->empty()) return;
    base::mutex_lock lock(_mutex);
    if (_free.size() < pooled_buffers) _free.push_back(std::move(buffer));
  }

 private:
  base::mutex _mutex;
  std::vector<std::unique_ptr<base::byte_buffer>> _free GUARDED_BY(_mutex);
};

read_buffer_pool& pool() {
  static auto* instance = new read_buffer_pool();  // never destroyed: buffers may come back at exit
  return *instance;
}

}  // namespace

std::shared_ptr<base::byte_buffer> take_read_buffer() {
  return std::shared_ptr<base::byte_buffer>(pool().take().release(), [](base::byte_buffer* buffer) {
    pool().give_back(std::unique_ptr<base::byte_buffer>(buffer));
  });
}

}  // namespace spate::broker::fetch
