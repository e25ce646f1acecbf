#pragma once
// Compression codecs of Kafka record batches, in the byte formats Kafka clients use
// (docs/record-batch-format.md):
//   gzip   — RFC 1952 gzip (concatenated members accepted when reading)
//   snappy — written in xerial snappy-java framing (what the Java client writes; librdkafka and the
//            Java client both read it); read in xerial framing or as one raw snappy block (what
//            librdkafka writes)
//   lz4    — LZ4 frame format with independent blocks (the Java client cannot read linked blocks)
//   zstd   — a standard zstd frame; frames without a content size are decompressed by streaming
// Pure functions, thread-safe.
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "model/errc.h"

namespace spate::model {

enum class compression_type : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

std::string_view to_string(compression_type c);
// The codec for attribute bits 0..2, or nullopt for 5..7.
std::optional<compression_type> compression_from_bits(int bits);

// Compresses `in` with `type` (none: a copy). Library failures on valid input are bugs and abort.
base::byte_buffer compress(compression_type type, base::byte_span in);

// Decompresses `in`. Never produces (or allocates for) more than `max_output` bytes: larger output
// gives errc::output_too_large; malformed input gives errc::decompression_failed.
result<base::byte_buffer> decompress(compression_type type, base::byte_span in,
                                     std::size_t max_output);

namespace detail {
// Raw (unframed) snappy, for tests that need to produce what librdkafka produces.
base::byte_buffer snappy_compress_raw(base::byte_span in);
}  // namespace detail

}  // namespace spate::model
