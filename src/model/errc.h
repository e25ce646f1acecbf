#pragma once
// Errors of the model module: what can be wrong with record-batch bytes or compressed data.
// Returned as values (base::result<T, errc>). The broker maps them to wire error codes in one
// place; the Kafka code each one corresponds to is noted beside it.
#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace spate::model {

enum class errc : std::uint8_t {
  // Fewer bytes than the batch header or batchLength promise (CORRUPT_MESSAGE on produce; a
  // legitimate trailing partial batch in a fetch response).
  truncated,
  // Header fields inconsistent with the bytes: batchLength below the minimum, CRC mismatch
  // (CORRUPT_MESSAGE).
  corrupt_message,
  // magic != 2 (INVALID_RECORD on produce v3+; old formats are not stored).
  unsupported_magic,
  // Header or records semantically invalid: record count vs lastOffsetDelta, negative sizes,
  // record framing that does not add up, transactional without producer id (INVALID_RECORD).
  invalid_record,
  // Compression bits 5..7 (UNSUPPORTED_COMPRESSION_TYPE).
  unsupported_compression,
  // Compressed payload could not be decompressed (CORRUPT_MESSAGE).
  decompression_failed,
  // Decompressed size would exceed the caller's limit (CORRUPT_MESSAGE / RECORD_LIST_TOO_LARGE).
  output_too_large,
};

template <typename T>
using result = base::result<T, errc>;

constexpr std::string_view to_string(errc e) {
  switch (e) {
    case errc::truncated: return "truncated";
    case errc::corrupt_message: return "corrupt_message";
    case errc::unsupported_magic: return "unsupported_magic";
    case errc::invalid_record: return "invalid_record";
    case errc::unsupported_compression: return "unsupported_compression";
    case errc::decompression_failed: return "decompression_failed";
    case errc::output_too_large: return "output_too_large";
  }
  return "unknown";
}

}  // namespace spate::model
