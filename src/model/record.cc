#include "model/record.h"

#include <algorithm>
#include <limits>

namespace spate::model {
namespace {

// Reads one record's fields; every failure is errc::invalid_record.
class field_reader {
 public:
  explicit field_reader(base::byte_span in) : _in(in) {}

  bool at_end() const { return _pos == _in.size(); }
  std::size_t remaining() const { return _in.size() - _pos; }

  std::optional<std::int64_t> varlong() {
    auto v = base::read_uvarint(_in.subspan(_pos), 10);
    if (!v) return std::nullopt;
    _pos += v->length;
    return base::zigzag_decode(v->value);
  }
  std::optional<std::int32_t> varint() {
    auto v = base::read_uvarint(_in.subspan(_pos), 5);
    if (!v) return std::nullopt;
    const std::int64_t d = base::zigzag_decode(v->value);
    if (d < std::numeric_limits<std::int32_t>::min() ||
        d > std::numeric_limits<std::int32_t>::max())
      return std::nullopt;
    _pos += v->length;
    return static_cast<std::int32_t>(d);
  }
  std::optional<std::uint8_t> byte() {
    if (at_end()) return std::nullopt;
    return _in[_pos++];
  }
  std::optional<base::byte_span> bytes(std::size_t n) {
    if (n > remaining()) return std::nullopt;
    auto out = _in.subspan(_pos, n);
    _pos += n;
    return out;
  }
  // Length-prefixed bytes; length -1 is null when `nullable`. Outer optional: malformed.
  std::optional<std::optional<base::byte_buffer>> nullable_bytes(bool nullable) {
    auto len = varint();
    if (!len) return std::nullopt;
    if (*len == -1 && nullable) return std::optional<base::byte_buffer>{};
    if (*len < 0) return std::nullopt;
    auto b = bytes(static_cast<std::size_t>(*len));
    if (!b) return std::nullopt;
    return std::optional<base::byte_buffer>(base::byte_buffer(b->begin(), b->end()));
  }

 private:
  base::byte_span _in;
  std::size_t _pos = 0;
};

struct batch_context {
  std::int64_t base_offset;
  std::int32_t last_offset_delta;
  std::int64_t base_timestamp;
  std::optional<std::int64_t> log_append_time;
};

// One record's body (after its length prefix), which must be consumed exactly.
std::optional<record> parse_record(base::byte_span body, const batch_context& ctx) {
  field_reader r(body);
  record rec;
  if (!r.byte()) return std::nullopt;  // attributes: unused
  auto ts_delta = r.varlong();
  auto offset_delta = r.varint();
  if (!ts_delta || !offset_delta) return std::nullopt;
  if (*offset_delta < 0 || *offset_delta > ctx.last_offset_delta) return std::nullopt;
  rec.offset = ctx.base_offset + *offset_delta;
  rec.timestamp = ctx.log_append_time
                      ? *ctx.log_append_time
                      : static_cast<std::int64_t>(static_cast<std::uint64_t>(ctx.base_timestamp) +
                                                  static_cast<std::uint64_t>(*ts_delta));
  auto key = r.nullable_bytes(true);
  if (!key) return std::nullopt;
  rec.key = std::move(*key);
  auto value = r.nullable_bytes(true);
  if (!value) return std::nullopt;
  rec.value = std::move(*value);
  auto count = r.varint();
  if (!count || *count < 0) return std::nullopt;
  // Each header takes at least two bytes: don't let a forged count drive the allocation.
  rec.headers.reserve(std::min<std::size_t>(static_cast<std::size_t>(*count), r.remaining() / 2));
  for (std::int32_t i = 0; i < *count; ++i) {
    auto hkey = r.nullable_bytes(false);
    if (!hkey) return std::nullopt;
    auto hvalue = r.nullable_bytes(true);
    if (!hvalue) return std::nullopt;
    const auto& k = **hkey;
    rec.headers.push_back(record_header{std::string(k.begin(), k.end()), std::move(*hvalue)});
  }
  if (!r.at_end()) return std::nullopt;
  return rec;
}

result<std::vector<record>> parse_records(base::byte_span data, std::int32_t count,
                                          const batch_context& ctx) {
  std::vector<record> out;
  if (count < 0) return base::failure(errc::invalid_record);
  out.reserve(std::min<std::size_t>(static_cast<std::size_t>(count), data.size() / 7));
  field_reader r(data);
  for (std::int32_t i = 0; i < count; ++i) {
    auto len = r.varint();
    if (!len || *len < 0) return base::failure(errc::invalid_record);
    auto body = r.bytes(static_cast<std::size_t>(*len));
    if (!body) return base::failure(errc::invalid_record);
    auto rec = parse_record(*body, ctx);
    if (!rec) return base::failure(errc::invalid_record);
    out.push_back(std::move(*rec));
  }
  if (!r.at_end()) return base::failure(errc::invalid_record);
  return out;
}

}  // namespace

result<std::vector<record>> decode_records(const record_batch_view& batch,
                                           std::size_t max_uncompressed) {
  batch_context ctx{batch.base_offset(), batch.last_offset_delta(), batch.base_timestamp(),
                    std::nullopt};
  if (batch.ts_type() == timestamp_type::log_append_time)
    ctx.log_append_time = batch.max_timestamp();
  if (batch.compression() == compression_type::none) {
    if (batch.records_data().size() > max_uncompressed)
      return base::failure(errc::output_too_large);
    return parse_records(batch.records_data(), batch.record_count(), ctx);
  }
  auto raw = decompress(batch.compression(), batch.records_data(), max_uncompressed);
  if (!raw) return base::failure(raw.error());
  return parse_records(*raw, batch.record_count(), ctx);
}

}  // namespace spate::model
