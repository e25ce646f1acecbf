#pragma once
// The framing of Kafka's internal-topic records (__consumer_offsets, __transaction_state): an
// int16 version, then a generated message at that version. Keys and values are framed alike.
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "protocol/wire.h"

namespace spate::protocol {

// The int16 version, then `msg` at that version.
template <typename Message>
base::byte_buffer encode_versioned(const Message& msg, std::int16_t version) {
  base::byte_buffer out;
  out.reserve(2 + msg.size(version));
  writer w(out);
  w.write_int16(version);
  msg.encode(w, version);
  return out;
}

// The version prefix of a record key or value; nullopt when the bytes are shorter than it.
inline std::optional<std::int16_t> read_version(base::byte_span bytes) {
  if (bytes.size() < 2) return std::nullopt;
  return base::load_be<std::int16_t>(bytes.data());
}

// `Message` at `version` from the bytes after the version prefix (the caller read `version` with
// read_version(), so `bytes` holds at least the prefix). nullopt when `version` is outside the
// message's versions or the bytes do not decode. Every byte must belong to the message: trailing
// bytes mean the record is not what its version says.
template <typename Message>
std::optional<Message> decode_versioned(base::byte_span bytes, std::int16_t version) {
  if (version < Message::min_version || version > Message::max_version) return std::nullopt;
  try {
    reader r(bytes.subspan(2));
    Message msg;
    msg.decode(r, version);
    if (!r.empty()) return std::nullopt;
    return msg;
  } catch (const decode_error&) {
    return std::nullopt;
  }
}

}  // namespace spate::protocol
