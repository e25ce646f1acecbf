#pragma once
// Internal to net/: the bytes of one request frame. A frame is read over whole before anyone
// looks at it, so its memory is never zero-filled (std::vector would, on every allocation and
// growth: `memset` showed at 1.5-2.7 % of durable produce profiles, bench/RESULTS.md), and a
// reused buffer keeps its allocation when the next frame fits.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace spate::net::detail {

class frame_buffer {
 public:
  frame_buffer() = default;
  explicit frame_buffer(std::size_t size)
      : _bytes(std::make_unique_for_overwrite<std::uint8_t[]>(size)), _size(size), _capacity(size) {}
  // A moved-from buffer is empty, not a size without bytes.
  frame_buffer(frame_buffer&& other) noexcept
      : _bytes(std::move(other._bytes)),
        _size(std::exchange(other._size, 0)),
        _capacity(std::exchange(other._capacity, 0)) {}
  frame_buffer& operator=(frame_buffer&& other) noexcept {
    _bytes = std::move(other._bytes);
    _size = std::exchange(other._size, 0);
    _capacity = std::exchange(other._capacity, 0);
    return *this;
  }
  frame_buffer(const frame_buffer&) = delete;
  frame_buffer& operator=(const frame_buffer&) = delete;
  ~frame_buffer() = default;

  // Makes it `size` bytes long for the next frame; what it held before is not kept.
  void reset_for_overwrite(std::size_t size) {
    if (size > _capacity) *this = frame_buffer(size);
    _size = size;
  }

  std::uint8_t* data() { return _bytes.get(); }
  std::size_t size() const { return _size; }
  std::size_t capacity() const { return _capacity; }
  std::span<std::uint8_t> bytes() { return {_bytes.get(), _size}; }

 private:
  std::unique_ptr<std::uint8_t[]> _bytes;
  std::size_t _size = 0;
  std::size_t _capacity = 0;
};

}  // namespace spate::net::detail
