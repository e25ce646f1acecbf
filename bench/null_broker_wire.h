#pragma once
// null_broker's data path on the wire (null_broker.cc): the fetch template, the buffer responses
// leave by, and the walk through a Produce request that never copies its records. Single-threaded,
// like the broker: nothing here is thread-safe.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "base/bytes.h"
#include "model/record_batch.h"
#include "protocol/messages/produce.h"
#include "protocol/messages/response_header.h"
#include "protocol/wire.h"

namespace spate_bench {

namespace base = spate::base;
namespace model = spate::model;
namespace protocol = spate::protocol;

// One batch of `count` records of the same `value_size` random bytes (no key, no headers, no
// compression, one timestamp), built once. A record's bytes do not depend on the records after it,
// so a batch of the first k records is the template's first k records behind its own 61-byte header
// (batchLength, lastOffsetDelta, recordCount and the CRC differ); those headers are derived on first
// use and cached.
class batch_template {
 public:
  static constexpr std::size_t header_size = model::batch_layout::header_size;

  batch_template(std::size_t value_size, std::int32_t count, std::int64_t timestamp);

  std::int32_t max_records() const { return static_cast<std::int32_t>(_record_end.size() - 1); }
  // Bytes of a batch of the first k records (1 <= k <= max_records()), header included.
  std::size_t batch_bytes(std::int32_t k) const { return header_size + _record_end[static_cast<std::size_t>(k)]; }
  // The records section of that batch: a span of the template, valid as long as it.
  base::byte_span records(std::int32_t k) const {
    return base::byte_span(_full).subspan(header_size, _record_end[static_cast<std::size_t>(k)]);
  }
  // Its header, baseOffset 0, CRC included; the reference stays valid as long as the template.
  const std::array<std::uint8_t, header_size>& header(std::int32_t k);

 private:
  base::byte_buffer _full;
  std::vector<std::size_t> _record_end;                                        // [k]: bytes of the first k records
  std::vector<std::optional<std::array<std::uint8_t, header_size>>> _headers;  // by record count
};

// The responses of one connection waiting to be written: their small encoded parts in one reused
// buffer and, between them, spans of external memory (the fetch template), sent by one gathering
// write.
class response_buffer {
 public:
  protocol::writer& writer() { return _w; }
  std::size_t position() const { return _bytes.size(); }
  void patch_int32(std::size_t at, std::int32_t v) { base::store_be<std::int32_t>(_bytes.data() + at, v); }
  void patch_int64(std::size_t at, std::int64_t v) { base::store_be<std::int64_t>(_bytes.data() + at, v); }
  bool empty() const { return _pieces.empty() && _bytes.empty(); }

  // Starts a response: its size (patched by end_response()) and the response header.
  void begin_response(std::int32_t correlation_id, std::int16_t header_version) {
    _frame_start = _bytes.size();
    _frame_external = 0;
    _w.write_int32(0);
    protocol::response_header header;
    header.correlation_id = correlation_id;
    header.encode(_w, header_version);
  }
  void end_response() {
    const auto size = _bytes.size() - _frame_start - 4 + _frame_external;
    patch_int32(_frame_start, static_cast<std::int32_t>(size));
  }

  // `data` goes out here, as is; it must stay alive and unchanged until clear().
  void external(base::byte_span data) {
    cut();
    _pieces.push_back({data.data(), 0, data.size()});
    _frame_external += data.size();
  }

  // What to write, valid until the next call of any other member.
  const std::vector<boost::asio::const_buffer>& buffers() {
    cut();
    _gather.clear();
    for (const auto& p : _pieces) _gather.emplace_back(p.external ? p.external : _bytes.data() + p.offset, p.size);
    return _gather;
  }

  void clear() {
    _bytes.clear();  // keeps its capacity: nothing is zero-filled again
    _pieces.clear();
    _cut = 0;
  }

 private:
  struct piece {
    const std::uint8_t* external;  // nullptr: _bytes[offset, offset + size)
    std::size_t offset;
    std::size_t size;
  };

  // Closes the current run of _bytes as a piece (by offset, so that _bytes may still grow).
  void cut() {
    if (_bytes.size() > _cut) _pieces.push_back({nullptr, _cut, _bytes.size() - _cut});
    _cut = _bytes.size();
  }

  base::byte_buffer _bytes;
  protocol::writer _w{_bytes};
  std::vector<piece> _pieces;
  std::size_t _cut = 0;
  std::size_t _frame_start = 0;
  std::size_t _frame_external = 0;
  std::vector<boost::asio::const_buffer> _gather;
};

// Records in a produce request's `records` value: the sum of lastOffsetDelta + 1 over its batches
// (only their headers are read); -1 when it is not a sequence of one or more whole magic-2 batches.
std::int32_t count_records(base::byte_span records);

// Walks a Produce request body (non-flexible versions, 3-8: the schema's fields in order) without
// copying its records: on_topic(name) for each topic, then on_partition(index, records, bytes) for
// each of its partitions, `records` being count_records() of its data (-1 for null data). Returns
// acks. Throws protocol::decode_error on a malformed request.
template <typename OnTopic, typename OnPartition>
std::int16_t walk_produce_request(protocol::reader& r, std::int16_t version, OnTopic on_topic,
                                  OnPartition on_partition) {
  if (version < 3 || version >= protocol::produce_request::first_flexible_version) {
    throw protocol::decode_error("produce version not walked");
  }
  (void)r.read_nullable_string(false, true);  // transactional_id
  const std::int16_t acks = r.read_int16();
  (void)r.read_int32();  // timeout_ms
  const auto topics = r.read_array_length(false, false);
  for (std::int32_t t = 0; t < topics; ++t) {
    on_topic(r.read_string(false));
    const auto partitions = r.read_array_length(false, false);
    for (std::int32_t p = 0; p < partitions; ++p) {
      const std::int32_t index = r.read_int32();
      const std::int32_t length = r.read_int32();
      if (length < -1) throw protocol::decode_error("negative records length");
      if (length == -1) {
        on_partition(index, -1, std::size_t{0});
        continue;
      }
      const auto data = r.read_raw(static_cast<std::size_t>(length));
      on_partition(index, count_records(data), data.size());
    }
  }
  return acks;
}

// Start-up self-checks; each returns what failed, or "". The template's batches of 1, 2 and
// max_records() records against model::validate_batch (CRC, counts); the walk against Produce
// requests encoded by the generated message at every version from 3 to 8.
std::string check_template(batch_template& tmpl);
std::string check_produce_walk();

}  // namespace spate_bench
