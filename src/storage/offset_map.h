#pragma once
// The log cleaner's key -> latest offset map (Kafka's SkimpyOffsetMap): a fixed-size open-addressing
// table of 16-byte key digests and 8-byte offsets, sized from the cleaner's dedupe buffer. Keys are
// never stored: two keys with the same 128-bit digest would be taken for one (Kafka takes the same
// risk with MD5). Filled up to a 0.9 load factor, after which put() of a new key is refused and the
// cleaner cleans only as far as the map reached.
//
// Not thread-safe: one cleaning owns one map.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"

namespace spate::storage {

class offset_map {
 public:
  static constexpr std::size_t digest_size = 16;
  static constexpr std::size_t entry_bytes = digest_size + 8;
  static constexpr double load_factor = 0.9;

  // Room for `buffer_bytes` / 24 slots (at least 16).
  explicit offset_map(std::size_t buffer_bytes);

  // Records `offset` as the latest offset of `key` (offsets only grow). False when the key is
  // new and the map is full: nothing was changed.
  bool put(base::byte_span key, std::int64_t offset);
  // The latest offset put for `key`.
  std::optional<std::int64_t> get(base::byte_span key) const;
  // Whether `n` more new keys certainly fit.
  bool has_room_for(std::size_t n) const { return _size + n <= _max_entries; }

  std::size_t size() const { return _size; }
  std::size_t capacity() const { return _max_entries; }
  void clear();

 private:
  using digest = std::array<std::uint64_t, 2>;
  static digest hash(base::byte_span key);
  // The slot holding `d`, or the empty slot where it would go.
  std::size_t find_slot(const digest& d) const;

  struct slot {
    digest key{0, 0};
    std::int64_t offset = -1;  // -1: empty
  };
  std::vector<slot> _slots;
  std::size_t _max_entries;
  std::size_t _size = 0;
};

}  // namespace spate::storage
