#pragma once
// CRC-32C (Castagnoli), the checksum of Kafka record batches (magic 2). Thread-safe, no state.
//
// Extend semantics: crc32c(b, crc32c(a)) == crc32c(a ++ b), and crc32c({}) == 0. Computed by
// ISA-L, which chooses the fastest instructions the CPU has.
#include <cstdint>

#include "base/bytes.h"

namespace spate::model {

std::uint32_t crc32c(base::byte_span data, std::uint32_t crc = 0);

}  // namespace spate::model
