#include "model/record_batch_builder.h"

#include <algorithm>
#include <limits>

#include "base/assert.h"

namespace spate::model {

namespace L = batch_layout;

record_batch_builder::record_batch_builder(compression_type compression, std::int64_t base_offset)
    : _compression(compression), _base_offset(base_offset), _next_offset(base_offset) {}

record_batch_builder& record_batch_builder::set_producer(std::int64_t producer_id,
                                                         std::int16_t producer_epoch,
                                                         std::int32_t base_sequence) {
  _producer_id = producer_id;
  _producer_epoch = producer_epoch;
  _base_sequence = base_sequence;
  return *this;
}

record_batch_builder& record_batch_builder::set_transactional(bool on) {
  _attributes = static_cast<std::int16_t>(on ? _attributes | batch_attributes::transactional
                                             : _attributes & ~batch_attributes::transactional);
  return *this;
}

record_batch_builder& record_batch_builder::set_control(bool on) {
  _attributes = static_cast<std::int16_t>(on ? _attributes | batch_attributes::control
                                             : _attributes & ~batch_attributes::control);
  return *this;
}

record_batch_builder& record_batch_builder::set_partition_leader_epoch(std::int32_t epoch) {
  _partition_leader_epoch = epoch;
  return *this;
}

record_batch_builder& record_batch_builder::set_log_append_time(std::int64_t timestamp) {
  _log_append_time = timestamp;
  return *this;
}
record_batch_builder& record_batch_builder::set_delete_horizon(std::int64_t horizon_ms) {
  SPATE_ASSERT(_count == 0, "the delete horizon is set before the first record");
  _delete_horizon = horizon_ms;
  _base_timestamp = horizon_ms;
  _attributes = static_cast<std::int16_t>(_attributes | batch_attributes::delete_horizon);
  return *this;
}

record_batch_builder& record_batch_builder::append(std::int64_t timestamp,
                                                   std::optional<base::byte_span> key,
                                                   std::optional<base::byte_span> value,
                                                   const std::vector<record_header>& headers) {
  encode(_next_offset, timestamp, key, value, headers);
  return *this;
}

record_batch_builder& record_batch_builder::add(const record& r) {
  auto span_of = [](const std::optional<base::byte_buffer>& b) -> std::optional<base::byte_span> {
    if (!b) return std::nullopt;
    return base::byte_span(*b);
  };
  encode(r.offset, r.timestamp, span_of(r.key), span_of(r.value), r.headers);
  return *this;
}

void record_batch_builder::encode(std::int64_t offset, std::int64_t timestamp,
                                  std::optional<base::byte_span> key,
                                  std::optional<base::byte_span> value,
                                  const std::vector<record_header>& headers) {
  SPATE_ASSERT(offset >= _next_offset, "record offsets must increase");
  SPATE_ASSERT(offset - _base_offset <= std::numeric_limits<std::int32_t>::max(),
               "offset delta above int32");
  SPATE_ASSERT(_count < std::numeric_limits<std::int32_t>::max(), "too many records");
  const auto offset_delta = static_cast<std::int32_t>(offset - _base_offset);
  if (_count == 0 && !_delete_horizon) _base_timestamp = timestamp;
  _max_timestamp = _count == 0 ? timestamp : std::max(_max_timestamp, timestamp);

  auto put_bytes = [this](std::optional<base::byte_span> b) {
    if (!b) {
      base::append_varint(_scratch, -1);
      return;
    }
    base::append_varint(_scratch, static_cast<std::int64_t>(b->size()));
    _scratch.insert(_scratch.end(), b->begin(), b->end());
  };
  _scratch.clear();
  _scratch.push_back(0);  // record attributes: unused
  base::append_varint(_scratch, timestamp - _base_timestamp);
  base::append_varint(_scratch, offset_delta);
  put_bytes(key);
  put_bytes(value);
  base::append_varint(_scratch, static_cast<std::int64_t>(headers.size()));
  for (const auto& h : headers) {
    put_bytes(base::byte_span(reinterpret_cast<const std::uint8_t*>(h.key.data()), h.key.size()));
    put_bytes(h.value ? std::optional<base::byte_span>(*h.value) : std::nullopt);
  }
  base::append_varint(_records, static_cast<std::int64_t>(_scratch.size()));
  _records.insert(_records.end(), _scratch.begin(), _scratch.end());

  _last_offset_delta = offset_delta;
  _next_offset = offset + 1;
  ++_count;
}

base::byte_buffer record_batch_builder::build() const {
  base::byte_buffer compressed;
  base::byte_span body = _records;
  if (_compression != compression_type::none) {
    compressed = compress(_compression, _records);
    body = compressed;
  }
  SPATE_ASSERT(L::header_size - L::log_overhead + body.size() <=
                   static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
               "batch above 2 GiB");
  std::int16_t attributes =
      static_cast<std::int16_t>(_attributes | static_cast<std::int16_t>(_compression));
  std::int64_t max_timestamp = _max_timestamp;
  if (_log_append_time) {
    attributes = static_cast<std::int16_t>(attributes | batch_attributes::log_append_time);
    max_timestamp = *_log_append_time;
  }

  base::byte_buffer out;
  out.reserve(L::header_size + body.size());
  base::append_be<std::int64_t>(out, _base_offset);
  base::append_be<std::int32_t>(
      out, static_cast<std::int32_t>(L::header_size - L::log_overhead + body.size()));
  base::append_be<std::int32_t>(out, _partition_leader_epoch);
  base::append_be<std::int8_t>(out, batch_magic_v2);
  base::append_be<std::uint32_t>(out, 0);  // CRC, filled in below
  base::append_be<std::int16_t>(out, attributes);
  base::append_be<std::int32_t>(out, _last_offset_delta);
  base::append_be<std::int64_t>(out, _base_timestamp);
  base::append_be<std::int64_t>(out, max_timestamp);
  base::append_be<std::int64_t>(out, _producer_id);
  base::append_be<std::int16_t>(out, _producer_epoch);
  base::append_be<std::int32_t>(out, _base_sequence);
  base::append_be<std::int32_t>(out, _count);
  out.insert(out.end(), body.begin(), body.end());
  base::store_be<std::uint32_t>(out.data() + L::crc, compute_batch_crc(out));
  return out;
}

record make_end_txn_marker(control_record_type type, std::int32_t coordinator_epoch,
                           std::int64_t offset, std::int64_t timestamp) {
  // Key: version int16 (0), type int16. Value: version int16 (0), coordinatorEpoch int32.
  record r;
  r.offset = offset;
  r.timestamp = timestamp;
  base::byte_buffer key;
  base::append_be<std::int16_t>(key, 0);
  base::append_be<std::int16_t>(key, static_cast<std::int16_t>(type));
  base::byte_buffer value;
  base::append_be<std::int16_t>(value, 0);
  base::append_be<std::int32_t>(value, coordinator_epoch);
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

}  // namespace spate::model
