#include "protocol/wire.h"

#include <algorithm>
#include <limits>
#include <string>

namespace spate::protocol {

void throw_decode_error(const char* what) { throw decode_error(what); }

void throw_encode_error(const char* what, const char* field) {
  throw encode_error(std::string(what) + ": " + field);
}

uuid reader::read_uuid() {
  const auto raw = read_raw(16);
  uuid u;
  std::copy(raw.begin(), raw.end(), u.value.begin());
  return u;
}

std::uint32_t reader::read_uvarint32() {
  const auto v = base::read_uvarint(_in.subspan(_pos), 5);
  if (!v) {
    throw_decode_error(remaining() < 5 ? "truncated varint" : "varint longer than 5 bytes");
  }
  if (v->value > std::numeric_limits<std::uint32_t>::max()) throw_decode_error("varint overflow");
  _pos += v->length;
  return static_cast<std::uint32_t>(v->value);
}

std::uint64_t reader::read_uvarint64() {
  const auto v = base::read_uvarint(_in.subspan(_pos), 10);
  if (!v) {
    throw_decode_error(remaining() < 10 ? "truncated varint" : "varint longer than 10 bytes");
  }
  // The tenth byte may only carry the top bit of a 64-bit value.
  if (v->length == 10 && _in[_pos + 9] > 1) throw_decode_error("varint overflow");
  _pos += v->length;
  return v->value;
}

std::int32_t reader::read_varint32() {
  const std::uint32_t raw = read_uvarint32();
  return static_cast<std::int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

std::int64_t reader::read_varint64() { return base::zigzag_decode(read_uvarint64()); }

base::byte_span reader::read_raw(std::size_t n) {
  if (n > remaining()) throw_decode_error("truncated input");
  const auto out = _in.subspan(_pos, n);
  _pos += n;
  return out;
}

std::int64_t reader::read_length(bool compact, bool int16_length) {
  std::int64_t len;
  if (compact) {
    const std::uint32_t n = read_uvarint32();
    if (n == 0) return -1;
    len = static_cast<std::int64_t>(n) - 1;
  } else {
    len = int16_length ? read_int16() : read_int32();
    if (len == -1) return -1;
    if (len < 0) throw_decode_error("negative length");
  }
  if (static_cast<std::uint64_t>(len) > remaining()) throw_decode_error("length exceeds input");
  return len;
}

std::string reader::read_string(bool compact) {
  const auto len = read_length(compact, true);
  if (len < 0) throw_decode_error("null in a non-nullable string");
  const auto raw = read_raw(static_cast<std::size_t>(len));
  return std::string(raw.begin(), raw.end());
}

std::optional<std::string> reader::read_nullable_string(bool compact, bool nullable) {
  const auto len = read_length(compact, true);
  if (len < 0) {
    if (!nullable) throw_decode_error("null in a non-nullable string");
    return std::nullopt;
  }
  const auto raw = read_raw(static_cast<std::size_t>(len));
  return std::string(raw.begin(), raw.end());
}

bytes reader::read_bytes(bool compact) {
  const auto len = read_length(compact, false);
  if (len < 0) throw_decode_error("null in non-nullable bytes");
  const auto raw = read_raw(static_cast<std::size_t>(len));
  return bytes(raw.begin(), raw.end());
}

std::optional<bytes> reader::read_nullable_bytes(bool compact, bool nullable) {
  const auto len = read_length(compact, false);
  if (len < 0) {
    if (!nullable) throw_decode_error("null in non-nullable bytes");
    return std::nullopt;
  }
  const auto raw = read_raw(static_cast<std::size_t>(len));
  return bytes(raw.begin(), raw.end());
}

std::optional<records> reader::read_nullable_records(bool compact, bool nullable) {
  const auto len = read_length(compact, false);
  if (len < 0) {
    if (!nullable) throw_decode_error("null in non-nullable records");
    return std::nullopt;
  }
  const std::size_t at = _pos;
  const auto raw = read_raw(static_cast<std::size_t>(len));
  if (_writable != nullptr) return records::borrow(std::span<std::uint8_t>(_writable + at, raw.size()));
  return records(bytes(raw.begin(), raw.end()));
}

reader reader::sub_reader(std::size_t n) {
  const std::size_t at = _pos;
  const auto raw = read_raw(n);
  if (_writable != nullptr) return borrowing(std::span<std::uint8_t>(_writable + at, raw.size()));
  return reader(raw);
}

std::int32_t reader::read_array_length(bool compact, bool nullable) {
  std::int64_t count;
  if (compact) {
    const std::uint32_t n = read_uvarint32();
    count = static_cast<std::int64_t>(n) - 1;
  } else {
    count = read_int32();
    if (count < -1) throw_decode_error("negative array length");
  }
  if (count == -1) {
    if (!nullable) throw_decode_error("null in a non-nullable array");
    return -1;
  }
  if (static_cast<std::uint64_t>(count) > remaining()) {
    throw_decode_error("array length exceeds input");
  }
  return static_cast<std::int32_t>(count);
}

std::uint32_t reader::read_tagged_count() {
  const std::uint32_t n = read_uvarint32();
  // Every tagged field takes at least two bytes (tag and length).
  if (n > remaining() / 2) throw_decode_error("tagged field count exceeds input");
  return n;
}

void reader::read_unknown_tagged_fields(std::vector<tagged_field>& out) {
  const std::uint32_t n = read_tagged_count();
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t tag = read_uvarint32();
    const auto raw = read_raw(read_uvarint32());
    out.push_back(tagged_field{tag, bytes(raw.begin(), raw.end())});
  }
}

void writer::write_string(std::string_view s, bool compact) {
  if (compact) {
    write_uvarint(s.size() + 1);
  } else {
    if (s.size() > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max())) {
      throw encode_error("string longer than 32767 bytes");
    }
    write_int16(static_cast<std::int16_t>(s.size()));
  }
  _out.insert(_out.end(), s.begin(), s.end());
}

void writer::write_nullable_string(const std::optional<std::string>& s, bool compact,
                                   bool nullable, const char* field) {
  if (s) {
    write_string(*s, compact);
  } else if (!nullable) {
    throw_encode_error("null in a version where the field is not nullable", field);
  } else if (compact) {
    write_uvarint(0);
  } else {
    write_int16(-1);
  }
}

void writer::write_length(std::size_t n, bool compact) {
  if (compact) {
    write_uvarint(n + 1);
  } else {
    if (n > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      throw encode_error("bytes longer than 2^31-1");
    }
    write_int32(static_cast<std::int32_t>(n));
  }
}

void writer::write_bytes(const bytes& b, bool compact) {
  write_length(b.size(), compact);
  _out.insert(_out.end(), b.begin(), b.end());
}

void writer::write_nullable_records(const std::optional<records>& r, bool compact, bool nullable, const char* field) {
  if (!r) {
    write_nullable_bytes(std::nullopt, compact, nullable, field);
    return;
  }
  write_length(r->size(), compact);
  // Below this a copy costs less than another piece in the gather write.
  constexpr std::size_t splice_min_bytes = std::size_t{16} * 1024;
  if (_splices != nullptr && r->owner() != nullptr && r->size() >= splice_min_bytes) {
    _splices->push_back(base::splice{_out.size(), *r, r->owner()});
    return;
  }
  _out.insert(_out.end(), r->begin(), r->end());
}

void writer::write_nullable_bytes(const std::optional<bytes>& b, bool compact, bool nullable,
                                  const char* field) {
  if (b) {
    write_bytes(*b, compact);
  } else if (!nullable) {
    throw_encode_error("null in a version where the field is not nullable", field);
  } else if (compact) {
    write_uvarint(0);
  } else {
    write_int32(-1);
  }
}

void writer::write_array_length(std::size_t n, bool compact) {
  if (compact) {
    write_uvarint(n + 1);
  } else {
    if (n > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      throw encode_error("array longer than 2^31-1");
    }
    write_int32(static_cast<std::int32_t>(n));
  }
}

void writer::write_null_array(bool compact, bool nullable, const char* field) {
  if (!nullable) throw_encode_error("null in a version where the field is not nullable", field);
  if (compact) {
    write_uvarint(0);
  } else {
    write_int32(-1);
  }
}

std::size_t unknown_tagged_size(const std::vector<tagged_field>& unknown) {
  std::size_t n = 0;
  for (const auto& f : unknown) n += tagged_field_size(f.tag, f.data.size());
  return n;
}

tagged_writer::tagged_writer(writer& w, const std::vector<tagged_field>& unknown,
                             std::size_t total_count)
    : _w(w) {
  _w.write_uvarint(total_count);
  if (!unknown.empty()) {
    _unknown.reserve(unknown.size());
    for (const auto& f : unknown) _unknown.push_back(&f);
    std::stable_sort(_unknown.begin(), _unknown.end(),
                     [](const tagged_field* a, const tagged_field* b) { return a->tag < b->tag; });
    for (std::size_t i = 1; i < _unknown.size(); ++i) {
      if (_unknown[i]->tag == _unknown[i - 1]->tag) {
        throw encode_error("duplicate unknown tagged field");
      }
    }
  }
}

void tagged_writer::flush_below(std::uint64_t tag) {
  while (_next < _unknown.size() && _unknown[_next]->tag < tag) {
    const tagged_field& f = *_unknown[_next++];
    _w.write_uvarint(f.tag);
    _w.write_uvarint(f.data.size());
    _w.write_raw(f.data);
  }
}

void tagged_writer::begin(std::uint32_t tag, std::size_t value_size) {
  flush_below(tag);
  if (_next < _unknown.size() && _unknown[_next]->tag == tag) {
    throw encode_error("unknown tagged field duplicates a known tag");
  }
  _w.write_uvarint(tag);
  _w.write_uvarint(value_size);
}

void tagged_writer::finish() { flush_below(std::uint64_t{1} << 32); }

}  // namespace spate::protocol
