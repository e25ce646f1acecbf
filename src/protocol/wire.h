#pragma once
// Wire primitives of the Kafka protocol: a bounds-checked `reader` over a byte span and a `writer`
// appending to a byte buffer. Generated message code is written entirely in terms of these; nothing
// else in the project should hand-encode a message field.
//
// Error contract: every malformed input makes `reader` throw `decode_error` (truncation, negative
// lengths other than the null marker, a null where the version does not allow one, lengths or
// element counts larger than the bytes that remain, overlong varints). A reader never reads outside
// its span and never allocates more than the remaining input could describe. `writer` throws
// `encode_error` for values that the requested version cannot represent (Kafka's
// UnsupportedVersionException / NullPointerException cases).
//
// Not thread-safe; a reader/writer is used by one thread for one message.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/bytes.h"
#include "base/spliced_buffer.h"
#include "protocol/types.h"

namespace spate::protocol {

static_assert(std::is_same_v<bytes, base::byte_buffer>);

class decode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class encode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_decode_error(const char* what);
[[noreturn]] void throw_encode_error(const char* what, const char* field);

class reader {
 public:
  explicit reader(base::byte_span in) : _in(in) {}
  // A reader over input that outlives everything decoded from it and that decoded records may
  // modify in place (a request frame net/ keeps until the handler completes): records are
  // borrowed from it, not copied.
  static reader borrowing(std::span<std::uint8_t> in) {
    reader r(in);
    r._writable = in.data();
    return r;
  }

  std::size_t remaining() const { return _in.size() - _pos; }
  std::size_t position() const { return _pos; }
  bool empty() const { return _pos == _in.size(); }

  std::int8_t read_int8() { return fixed<std::int8_t>(); }
  std::int16_t read_int16() { return fixed<std::int16_t>(); }
  std::int32_t read_int32() { return fixed<std::int32_t>(); }
  std::int64_t read_int64() { return fixed<std::int64_t>(); }
  std::uint16_t read_uint16() { return fixed<std::uint16_t>(); }
  std::uint32_t read_uint32() { return fixed<std::uint32_t>(); }
  double read_float64() { return fixed<double>(); }
  bool read_bool() { return fixed<std::uint8_t>() != 0; }
  uuid read_uuid();

  std::uint32_t read_uvarint32();
  std::uint64_t read_uvarint64();
  std::int32_t read_varint32();
  std::int64_t read_varint64();

  // Strings: int16 length (-1 = null) or, when `compact`, uvarint length+1 (0 = null).
  std::string read_string(bool compact);
  std::optional<std::string> read_nullable_string(bool compact, bool nullable);
  // Bytes/records: int32 length (-1 = null) or, when `compact`, uvarint length+1 (0 = null).
  bytes read_bytes(bool compact);
  std::optional<bytes> read_nullable_bytes(bool compact, bool nullable);
  // Records: as bytes, borrowed from a writable input, copied from any other.
  std::optional<records> read_nullable_records(bool compact, bool nullable);
  // Array element count; -1 means null and is only returned when `nullable`. The count is checked
  // against the remaining bytes (every element occupies at least one byte in practice), which bounds
  // allocation on garbage input.
  std::int32_t read_array_length(bool compact, bool nullable);

  // Consumes `n` raw bytes.
  base::byte_span read_raw(std::size_t n);
  // A reader over the next `n` bytes, which this reader skips.
  reader sub_reader(std::size_t n);
  // Throws unless every byte was consumed (used for tagged field values).
  void expect_end() const {
    if (!empty()) throw_decode_error("tagged field value has trailing bytes");
  }

  // Reads a whole tagged-field section as unknown fields.
  void read_unknown_tagged_fields(std::vector<tagged_field>& out);
  // Reads the header of a tagged-field section: the field count (checked against remaining bytes).
  std::uint32_t read_tagged_count();

 private:
  template <typename T>
  T fixed() {
    if (remaining() < sizeof(T)) throw_decode_error("truncated fixed-size field");
    const T v = base::load_be<T>(_in.data() + _pos);
    _pos += sizeof(T);
    return v;
  }
  // Length prefix of a string/bytes value: -1 for null, else a length that fits in the input.
  std::int64_t read_length(bool compact, bool int16_length);

  base::byte_span _in;
  std::uint8_t* _writable = nullptr;  // _in's bytes, when the input is writable
  std::size_t _pos = 0;
};

class writer {
 public:
  explicit writer(base::byte_buffer& out) : _out(out) {}
  // Writes into `out.bytes` and splices large shared records in by reference (records::share).
  explicit writer(base::spliced_buffer& out) : _out(out.bytes), _splices(&out.splices) {}

  std::size_t written() const { return _out.size(); }

  void write_int8(std::int8_t v) { base::append_be(_out, v); }
  void write_int16(std::int16_t v) { base::append_be(_out, v); }
  void write_int32(std::int32_t v) { base::append_be(_out, v); }
  void write_int64(std::int64_t v) { base::append_be(_out, v); }
  void write_uint16(std::uint16_t v) { base::append_be(_out, v); }
  void write_uint32(std::uint32_t v) { base::append_be(_out, v); }
  void write_float64(double v) { base::append_be(_out, v); }
  void write_bool(bool v) { _out.push_back(v ? 1 : 0); }
  void write_uuid(const uuid& v) { _out.insert(_out.end(), v.value.begin(), v.value.end()); }
  void write_uvarint(std::uint64_t v) { base::append_uvarint(_out, v); }
  void write_varint(std::int64_t v) { base::append_varint(_out, v); }

  void write_string(std::string_view s, bool compact);
  // `nullable`: whether the version being written allows null; a null otherwise throws.
  void write_nullable_string(const std::optional<std::string>& s, bool compact, bool nullable,
                             const char* field);
  void write_bytes(const bytes& b, bool compact);
  void write_nullable_bytes(const std::optional<bytes>& b, bool compact, bool nullable,
                            const char* field);
  void write_nullable_records(const std::optional<records>& r, bool compact, bool nullable, const char* field);
  void write_array_length(std::size_t n, bool compact);
  void write_null_array(bool compact, bool nullable, const char* field);
  void write_raw(base::byte_span b) { _out.insert(_out.end(), b.begin(), b.end()); }

 private:
  void write_length(std::size_t n, bool compact);

  base::byte_buffer& _out;
  std::vector<base::splice>* _splices = nullptr;
};

// Encoded sizes, mirroring the writer.
inline std::size_t string_size(std::size_t len, bool compact) {
  return (compact ? base::uvarint_size(len + 1) : 2) + len;
}
inline std::size_t nullable_string_size(const std::optional<std::string>& s, bool compact) {
  return s ? string_size(s->size(), compact) : (compact ? 1 : 2);
}
inline std::size_t bytes_size(std::size_t len, bool compact) {
  return (compact ? base::uvarint_size(len + 1) : 4) + len;
}
inline std::size_t nullable_bytes_size(const std::optional<bytes>& b, bool compact) {
  return b ? bytes_size(b->size(), compact) : (compact ? 1 : 4);
}
inline std::size_t nullable_records_size(const std::optional<records>& r, bool compact) {
  return r ? bytes_size(r->size(), compact) : (compact ? 1 : 4);
}
inline std::size_t array_length_size(std::size_t n, bool compact) {
  return compact ? base::uvarint_size(n + 1) : 4;
}
inline std::size_t null_array_size(bool compact) { return compact ? 1 : 4; }
// Size of one tagged field (tag, length, value) whose value occupies `value_size` bytes.
inline std::size_t tagged_field_size(std::uint32_t tag, std::size_t value_size) {
  return base::uvarint_size(tag) + base::uvarint_size(value_size) + value_size;
}
std::size_t unknown_tagged_size(const std::vector<tagged_field>& unknown);

// Writes a tagged-field section: the count, then known and unknown fields merged in increasing tag
// order. Usage: construct with the total count, call begin(tag, size) and write the value for each
// known field in increasing tag order, then finish().
class tagged_writer {
 public:
  tagged_writer(writer& w, const std::vector<tagged_field>& unknown, std::size_t total_count);
  void begin(std::uint32_t tag, std::size_t value_size);
  void finish();

 private:
  void flush_below(std::uint64_t tag);

  writer& _w;
  std::vector<const tagged_field*> _unknown;  // sorted by tag
  std::size_t _next = 0;
};

}  // namespace spate::protocol
