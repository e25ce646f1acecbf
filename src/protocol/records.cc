#include <algorithm>
#include <utility>

#include "base/assert.h"
#include "protocol/types.h"

namespace spate::protocol {

records::records(bytes owned) : _owned(std::move(owned)) { point_at_owned(); }

records::records(const records& other)
    : _owned(other._owned), _owner(other._owner), _data(other._data), _writable(other._writable), _size(other._size) {
  if (other._data == other._owned.data()) point_at_owned();
}

records::records(records&& other) noexcept
    : _owned(std::move(other._owned)),
      _owner(std::move(other._owner)),
      _data(std::exchange(other._data, nullptr)),
      _writable(std::exchange(other._writable, nullptr)),
      _size(std::exchange(other._size, 0)) {
  // A moved vector keeps its heap block, so pointers into owned bytes stay valid.
}

records& records::operator=(const records& other) {
  if (this != &other) *this = records(other);
  return *this;
}

records& records::operator=(records&& other) noexcept {
  _owned = std::move(other._owned);
  _owner = std::move(other._owner);
  _data = std::exchange(other._data, nullptr);
  _writable = std::exchange(other._writable, nullptr);
  _size = std::exchange(other._size, 0);
  return *this;
}

records records::borrow(std::span<std::uint8_t> bytes) {
  records r;
  r._data = bytes.data();
  r._writable = bytes.data();
  r._size = bytes.size();
  return r;
}

records records::share(std::shared_ptr<const void> owner, std::span<const std::uint8_t> bytes) {
  records r;
  r._owner = std::move(owner);
  r._data = bytes.data();
  r._size = bytes.size();
  return r;
}

void records::truncate(std::size_t n) {
  SPATE_ASSERT(n <= _size, "records truncated beyond their size");
  _size = n;
  if (_writable != nullptr && _writable == _owned.data()) _owned.resize(n);
}

void records::point_at_owned() {
  _data = _owned.data();
  _writable = _owned.data();
  _size = _owned.size();
}

bool operator==(const records& a, const records& b) { return std::ranges::equal(a, b); }

}  // namespace spate::protocol
