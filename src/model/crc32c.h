#pragma once
// CRC-32C (Castagnoli), the checksum of Kafka record batches (magic 2). Thread-safe, no state
// beyond read-only tables built on first use.
//
// Extend semantics: crc32c(b, crc32c(a)) == crc32c(a ++ b), and crc32c({}) == 0. Uses the SSE4.2
// crc32 instruction (three interleaved streams) when the CPU has it, otherwise slicing-by-8 tables.
#include <cstdint>

#include "base/bytes.h"

namespace spate::model {

std::uint32_t crc32c(base::byte_span data, std::uint32_t crc = 0);

namespace detail {
// Both implementations, exposed so tests can check they agree. crc32c_hw must only be called when
// crc32c_hw_available() is true.
std::uint32_t crc32c_sw(base::byte_span data, std::uint32_t crc);
std::uint32_t crc32c_hw(base::byte_span data, std::uint32_t crc);
bool crc32c_hw_available();
}  // namespace detail

}  // namespace spate::model
