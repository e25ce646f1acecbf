#pragma once
// Value types shared by every generated protocol message. Deliberately light: generated message
// headers include only this file plus the standard containers, so that the many translation units
// that include messages stay cheap to compile. The reader/writer live in protocol/wire.h.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "model/uuid.h"

namespace spate::protocol {

// Kafka `bytes`: same type as base::byte_buffer (checked in wire.h).
using bytes = std::vector<std::uint8_t>;

// Kafka `records`: one or more magic-2 record batches as raw bytes, held in one of three ways so
// that the data path copies them only where it must:
//  - owned: built by a client or a test (from `bytes`), or decoded from an input the reader may
//    not refer to later;
//  - borrowed: decoded from a request frame that outlives the handler (net/ keeps it until the
//    handler completes), writable, so Produce stamps offsets in place and appends from the frame;
//  - shared: bytes kept alive by an owner (a fetch's read buffer), which a writer over a
//    base::spliced_buffer splices into the response instead of copying (Fetch).
// Copies of borrowed and shared records refer to the same bytes; copies of owned ones copy them.
class records {
 public:
  using value_type = std::uint8_t;
  using const_iterator = const std::uint8_t*;
  using iterator = const_iterator;

  records() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): records built from bytes own them.
  records(bytes owned);
  records(const records& other);
  records(records&& other) noexcept;
  records& operator=(const records& other);
  records& operator=(records&& other) noexcept;
  ~records() = default;

  // Bytes someone else keeps valid and unchanged for as long as this value and its copies live.
  static records borrow(std::span<std::uint8_t> bytes);
  static records share(std::shared_ptr<const void> owner, std::span<const std::uint8_t> bytes);

  const std::uint8_t* data() const { return _data; }
  std::size_t size() const { return _size; }
  bool empty() const { return _size == 0; }
  const_iterator begin() const { return _data; }
  const_iterator end() const { return _data + _size; }
  // NOLINTNEXTLINE(google-explicit-constructor): readable wherever a byte span is.
  operator std::span<const std::uint8_t>() const { return {_data, _size}; }
  // Owned and borrowed bytes; empty for shared ones (another response may be sending them).
  std::span<std::uint8_t> writable() { return {_writable, _writable != nullptr ? _size : 0}; }
  // What keeps shared bytes alive (null for owned and borrowed ones).
  const std::shared_ptr<const void>& owner() const { return _owner; }
  // Keeps the first `n` bytes (n <= size()).
  void truncate(std::size_t n);

  friend bool operator==(const records& a, const records& b);

 private:
  void point_at_owned();

  bytes _owned;
  std::shared_ptr<const void> _owner;
  const std::uint8_t* _data = nullptr;
  std::uint8_t* _writable = nullptr;
  std::size_t _size = 0;
};

// Kafka `uuid` (topic ids, directory ids): model's type, so storage and the wire share it.
using uuid = model::uuid;

// A tagged field this build does not know (a newer peer's addition). Kept as the raw value bytes so
// that decode followed by encode is lossless.
struct tagged_field {
  std::uint32_t tag = 0;
  bytes data;
  bool operator==(const tagged_field&) const = default;
};

class reader;
class writer;

}  // namespace spate::protocol
