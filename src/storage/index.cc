#include "storage/index.h"

#include <algorithm>

#include "base/assert.h"

namespace spate::storage {

bool offset_index::load(base::byte_span bytes, std::uint64_t log_size) {
  _entries.clear();
  if (bytes.size() % entry_size != 0 || bytes.size() / entry_size > _max_entries) return false;
  std::vector<entry> entries;
  entries.reserve(bytes.size() / entry_size);
  for (std::size_t at = 0; at < bytes.size(); at += entry_size) {
    const auto rel = base::load_be<std::int32_t>(bytes.data() + at);
    const auto pos = base::load_be<std::int32_t>(bytes.data() + at + 4);
    if (rel < 0 || pos < 0 || static_cast<std::uint64_t>(pos) >= log_size) return false;
    const entry e{_base_offset + rel, static_cast<std::uint32_t>(pos)};
    if (!entries.empty() && (e.offset <= entries.back().offset || e.position <= entries.back().position))
      return false;
    entries.push_back(e);
  }
  _entries = std::move(entries);
  return true;
}

offset_index::entry offset_index::lookup(std::int64_t offset) const {
  auto it = std::upper_bound(_entries.begin(), _entries.end(), offset,
                             [](std::int64_t o, const entry& e) { return o < e.offset; });
  if (it == _entries.begin()) return {_base_offset, 0};
  return *std::prev(it);
}

offset_index::entry offset_index::lookup(std::int64_t offset, std::uint64_t position_limit) const {
  auto it = std::upper_bound(_entries.begin(), _entries.end(), offset,
                             [](std::int64_t o, const entry& e) { return o < e.offset; });
  while (it != _entries.begin() && std::prev(it)->position >= position_limit) --it;
  if (it == _entries.begin()) return {_base_offset, 0};
  return *std::prev(it);
}

std::optional<offset_index::entry> offset_index::first_at_or_after(std::int64_t offset,
                                                                   std::uint64_t position_limit) const {
  auto it = std::lower_bound(_entries.begin(), _entries.end(), offset,
                             [](const entry& e, std::int64_t o) { return e.offset < o; });
  if (it == _entries.end() || it->position >= position_limit) return std::nullopt;
  return *it;
}

void offset_index::append(std::int64_t offset, std::uint32_t position) {
  // Invariant: entries strictly increase in offset and position, relative offsets fit an i32.
  SPATE_ASSERT(_entries.empty() || (offset > _entries.back().offset && position > _entries.back().position),
               "offset index entries must increase");
  SPATE_ASSERT(offset >= _base_offset && offset - _base_offset <= INT32_MAX, "relative offset overflow");
  SPATE_ASSERT(!is_full(), "append to a full offset index");
  _entries.push_back({offset, position});
}

void offset_index::truncate_to_position(std::uint64_t position) {
  auto it = std::lower_bound(_entries.begin(), _entries.end(), position,
                             [](const entry& e, std::uint64_t p) { return e.position < p; });
  _entries.erase(it, _entries.end());
}

void offset_index::encode_entry(std::size_t i, std::uint8_t out[entry_size]) const {
  base::store_be<std::int32_t>(out, static_cast<std::int32_t>(_entries[i].offset - _base_offset));
  base::store_be<std::int32_t>(out + 4, static_cast<std::int32_t>(_entries[i].position));
}

base::byte_buffer offset_index::encode() const {
  base::byte_buffer out(_entries.size() * entry_size);
  for (std::size_t i = 0; i < _entries.size(); ++i) encode_entry(i, out.data() + i * entry_size);
  return out;
}

bool time_index::load(base::byte_span bytes) {
  _entries.clear();
  // One entry beyond the limit is legal: the final entry written when a full segment rolled.
  if (bytes.size() % entry_size != 0 || bytes.size() / entry_size > _max_entries + 1) return false;
  std::vector<entry> entries;
  entries.reserve(bytes.size() / entry_size);
  for (std::size_t at = 0; at < bytes.size(); at += entry_size) {
    const auto ts = base::load_be<std::int64_t>(bytes.data() + at);
    const auto rel = base::load_be<std::int32_t>(bytes.data() + at + 8);
    if (rel < 0) return false;
    const entry e{ts, _base_offset + rel};
    if (!entries.empty() && (e.timestamp <= entries.back().timestamp || e.offset < entries.back().offset))
      return false;
    entries.push_back(e);
  }
  _entries = std::move(entries);
  return true;
}

time_index::entry time_index::lookup(std::int64_t timestamp) const {
  auto it = std::upper_bound(_entries.begin(), _entries.end(), timestamp,
                             [](std::int64_t t, const entry& e) { return t < e.timestamp; });
  if (it == _entries.begin()) return {-1, _base_offset};
  return *std::prev(it);
}

bool time_index::maybe_append(std::int64_t timestamp, std::int64_t offset, bool allow_full) {
  if (!_entries.empty() && timestamp <= _entries.back().timestamp) return false;
  if (is_full() && !allow_full) return false;
  SPATE_ASSERT(offset >= _base_offset && offset - _base_offset <= INT32_MAX, "relative offset overflow");
  SPATE_ASSERT(_entries.empty() || offset >= _entries.back().offset, "time index offsets must not decrease");
  _entries.push_back({timestamp, offset});
  return true;
}

void time_index::truncate_to_offset(std::int64_t offset) {
  std::erase_if(_entries, [&](const entry& e) { return e.offset >= offset; });
}

void time_index::encode_entry(std::size_t i, std::uint8_t out[entry_size]) const {
  base::store_be<std::int64_t>(out, _entries[i].timestamp);
  base::store_be<std::int32_t>(out + 8, static_cast<std::int32_t>(_entries[i].offset - _base_offset));
}

base::byte_buffer time_index::encode() const {
  base::byte_buffer out(_entries.size() * entry_size);
  for (std::size_t i = 0; i < _entries.size(); ++i) encode_entry(i, out.data() + i * entry_size);
  return out;
}

}  // namespace spate::storage
