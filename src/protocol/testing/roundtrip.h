#pragma once
// Round-trip checks over every generated message (test support only).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "protocol/codec_table.h"
#include "protocol/wire.h"

namespace spate::protocol::testing {

// Encodes `msg` at `version` into `encoded`, then checks that size() matches, that decoding gives
// back an equal struct that consumed every byte, and that re-encoding is byte-identical. Returns an
// empty string on success, else what went wrong.
template <typename T>
std::string check_roundtrip(const T& msg, std::int16_t version, base::byte_buffer& encoded) {
  encoded.clear();
  writer w(encoded);
  msg.encode(w, version);
  if (encoded.size() != msg.size(version)) {
    return "size() " + std::to_string(msg.size(version)) + " != encoded length " +
           std::to_string(encoded.size());
  }
  T decoded;
  reader r(encoded);
  decoded.decode(r, version);
  if (!r.empty()) return "decode left " + std::to_string(r.remaining()) + " bytes";
  if (!(decoded == msg)) return "decoded message differs from the original";
  base::byte_buffer again;
  writer w2(again);
  decoded.encode(w2, version);
  if (again != encoded) return "re-encoding differs";
  return {};
}

struct roundtrip_case {
  message_kind kind;
  api_key key;  // requests and responses only
  std::string_view name;
  // Fills a message valid for `version` with random values from `seed`, and runs check_roundtrip
  // on it; `encoded` receives the encoding.
  std::string (*run)(std::int16_t version, std::uint64_t seed, base::byte_buffer& encoded);
};

// One case per generated message (generated: testing/roundtrip_cases.cc).
std::span<const roundtrip_case> roundtrip_cases();

}  // namespace spate::protocol::testing
