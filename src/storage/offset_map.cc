#include "storage/offset_map.h"

#include <algorithm>
#include <cstring>

namespace spate::storage {
namespace {

// MurmurHash3's 64-bit finaliser and a 64-bit multiply-mix over 8-byte words: two independent
// seeds give the two halves of the 128-bit digest.
std::uint64_t fmix(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

std::uint64_t hash64(base::byte_span data, std::uint64_t seed) {
  constexpr std::uint64_t m = 0x87c37b91114253d5ULL;
  std::uint64_t h = seed ^ (data.size() * m);
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    h = fmix(h ^ (w * m)) + 0x9e3779b97f4a7c15ULL;
  }
  std::uint64_t tail = 0;
  for (std::size_t j = 0; i + j < data.size(); ++j) tail |= static_cast<std::uint64_t>(data[i + j]) << (8 * j);
  return fmix(h ^ (tail * m) ^ data.size());
}

}  // namespace

offset_map::offset_map(std::size_t buffer_bytes) {
  const std::size_t slots = std::max<std::size_t>(16, buffer_bytes / entry_bytes);
  _slots.resize(slots);
  _max_entries = static_cast<std::size_t>(static_cast<double>(slots) * load_factor);
}

offset_map::digest offset_map::hash(base::byte_span key) {
  return {hash64(key, 0x243f6a8885a308d3ULL), hash64(key, 0x13198a2e03707344ULL)};
}

std::size_t offset_map::find_slot(const digest& d) const {
  // Linear probing; the load factor keeps an empty slot reachable.
  std::size_t i = d[0] % _slots.size();
  while (_slots[i].offset >= 0 && _slots[i].key != d) i = (i + 1) % _slots.size();
  return i;
}

bool offset_map::put(base::byte_span key, std::int64_t offset) {
  const auto d = hash(key);
  auto& s = _slots[find_slot(d)];
  if (s.offset < 0) {
    if (_size >= _max_entries) return false;
    ++_size;
    s.key = d;
  }
  s.offset = std::max(s.offset, offset);
  return true;
}

std::optional<std::int64_t> offset_map::get(base::byte_span key) const {
  const auto& s = _slots[find_slot(hash(key))];
  if (s.offset < 0) return std::nullopt;
  return s.offset;
}

void offset_map::clear() {
  std::fill(_slots.begin(), _slots.end(), slot{});
  _size = 0;
}

}  // namespace spate::storage
