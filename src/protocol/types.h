#pragma once
// Value types shared by every generated protocol message. Deliberately light: generated message
// headers include only this file plus the standard containers, so that the many translation units
// that include messages stay cheap to compile. The reader/writer live in protocol/wire.h.
#include <array>
#include <cstdint>
#include <vector>

#include "model/uuid.h"

namespace spate::protocol {

// Kafka `bytes`: same type as base::byte_buffer (checked in wire.h).
using bytes = std::vector<std::uint8_t>;

// Kafka `records`: one or more magic-2 record batches, kept as raw bytes. A distinct name so that
// the produce/fetch data path can later switch to a zero-copy representation without touching
// every user of `bytes`.
using records = bytes;

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
