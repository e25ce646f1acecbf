#pragma once
// Decoded records of a magic-2 batch. Decoding is for tooling, tests, internal topics and the rare
// broker path that must look inside a batch; the produce/fetch hot path keeps batches as bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "model/errc.h"
#include "model/record_batch.h"

namespace spate::model {

struct record_header {
  std::string key;                         // never null on the wire
  std::optional<base::byte_buffer> value;  // nullopt: null (length -1)

  friend bool operator==(const record_header&, const record_header&) = default;
};

struct record {
  std::int64_t offset = 0;     // absolute: baseOffset + offsetDelta
  std::int64_t timestamp = 0;  // absolute; the batch's maxTimestamp when it is LogAppendTime
  std::optional<base::byte_buffer> key;    // nullopt: null key
  std::optional<base::byte_buffer> value;  // nullopt: null value (a tombstone)
  std::vector<record_header> headers;

  friend bool operator==(const record&, const record&) = default;
};

// Decodes every record of `batch`, decompressing if needed. `max_uncompressed` bounds the records
// section after decompression (errc::output_too_large above it). Errors: decompression_failed,
// output_too_large, invalid_record (framing that does not add up: a record's length, negative
// sizes, offset deltas outside [0, lastOffsetDelta], a count that disagrees with the records,
// bytes left over).
result<std::vector<record>> decode_records(const record_batch_view& batch,
                                           std::size_t max_uncompressed);

}  // namespace spate::model
