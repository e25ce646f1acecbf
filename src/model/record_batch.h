#pragma once
// Kafka record batches, magic 2 (docs/record-batch-format.md). The storage layer keeps batches as
// the bytes producers sent: validated once on produce, stamped in place with offsets (and
// LogAppendTime), never decoded or re-encoded on the hot path.
//
// Header layout (big-endian), 61 bytes, followed by the (possibly compressed) records:
//   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 | 17 crc u32 |
//   21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 | 35 maxTimestamp i64 |
//   43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 | 57 recordCount i32 | 61
//   records
// batchLength counts the bytes after itself; the CRC-32C covers bytes [21, end).
#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "model/compression.h"
#include "model/errc.h"

namespace spate::model {

namespace batch_layout {
inline constexpr std::size_t base_offset = 0;
inline constexpr std::size_t batch_length = 8;
inline constexpr std::size_t partition_leader_epoch = 12;
inline constexpr std::size_t magic = 16;
inline constexpr std::size_t crc = 17;
inline constexpr std::size_t attributes = 21;
inline constexpr std::size_t last_offset_delta = 23;
inline constexpr std::size_t base_timestamp = 27;
inline constexpr std::size_t max_timestamp = 35;
inline constexpr std::size_t producer_id = 43;
inline constexpr std::size_t producer_epoch = 51;
inline constexpr std::size_t base_sequence = 53;
inline constexpr std::size_t record_count = 57;
inline constexpr std::size_t records = 61;
inline constexpr std::size_t header_size = 61;
// Bytes before batchLength's count starts: baseOffset + batchLength.
inline constexpr std::size_t log_overhead = 12;
}  // namespace batch_layout

inline constexpr std::int8_t batch_magic_v2 = 2;
inline constexpr std::int64_t no_producer_id = -1;
inline constexpr std::int16_t no_producer_epoch = -1;
inline constexpr std::int32_t no_sequence = -1;
inline constexpr std::int64_t no_timestamp = -1;

enum class timestamp_type : std::uint8_t { create_time = 0, log_append_time = 1 };

namespace batch_attributes {
inline constexpr std::int16_t compression_mask = 0x07;
inline constexpr std::int16_t log_append_time = 0x08;
inline constexpr std::int16_t transactional = 0x10;
inline constexpr std::int16_t control = 0x20;
// KIP-534: baseTimestamp holds the batch's delete horizon (set by the log cleaner); record
// timestamps stay baseTimestamp + timestampDelta.
inline constexpr std::int16_t delete_horizon = 0x40;
}  // namespace batch_attributes

struct batch_header {
  std::int64_t base_offset = 0;
  std::int32_t batch_length = 0;
  std::int32_t partition_leader_epoch = -1;
  std::int8_t magic = batch_magic_v2;
  std::uint32_t crc = 0;
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = no_timestamp;
  std::int64_t max_timestamp = no_timestamp;
  std::int64_t producer_id = no_producer_id;
  std::int16_t producer_epoch = no_producer_epoch;
  std::int32_t base_sequence = no_sequence;
  std::int32_t record_count = 0;

  // Whole batch in bytes, header included.
  std::size_t size_bytes() const {
    return batch_layout::log_overhead + static_cast<std::size_t>(batch_length);
  }
  std::int64_t last_offset() const { return base_offset + last_offset_delta; }
  int compression_bits() const { return attributes & batch_attributes::compression_mask; }
  timestamp_type ts_type() const {
    return (attributes & batch_attributes::log_append_time) ? timestamp_type::log_append_time
                                                            : timestamp_type::create_time;
  }
  bool is_transactional() const { return attributes & batch_attributes::transactional; }
  bool is_control() const { return attributes & batch_attributes::control; }

  friend bool operator==(const batch_header&, const batch_header&) = default;
};

// Parses the 61-byte header at the start of `data` (later bytes are not looked at). Errors:
// truncated (< 61 bytes), unsupported_magic, corrupt_message (batchLength below the header's own
// size). Does not check the CRC, the record count or that `data` holds the whole batch.
result<batch_header> parse_batch_header(base::byte_span data);

// CRC-32C of a batch as it should be stored in the header: over bytes [21, end).
// Precondition: data.size() >= 61.
std::uint32_t compute_batch_crc(base::byte_span batch);

// A non-owning view of exactly one complete, validated batch. Does not own the bytes; the caller
// keeps them alive and unchanged. Accessors read the header bytes directly (cheap). Copyable,
// immutable, thread-safe as long as the bytes are.
class record_batch_view {
 public:
  // Wraps bytes that already passed validate_batch(). Invariant (checked): the span is at least a
  // header long and exactly as long as its batchLength says.
  explicit record_batch_view(base::byte_span batch);

  base::byte_span data() const { return _data; }
  std::size_t size_bytes() const { return _data.size(); }
  // The records section: raw or compressed, depending on compression().
  base::byte_span records_data() const { return _data.subspan(batch_layout::records); }
  batch_header header() const;

  std::int64_t base_offset() const { return load<std::int64_t>(batch_layout::base_offset); }
  std::int64_t last_offset() const { return base_offset() + last_offset_delta(); }
  std::int32_t last_offset_delta() const {
    return load<std::int32_t>(batch_layout::last_offset_delta);
  }
  std::int32_t partition_leader_epoch() const {
    return load<std::int32_t>(batch_layout::partition_leader_epoch);
  }
  std::uint32_t crc() const { return load<std::uint32_t>(batch_layout::crc); }
  std::int16_t attributes() const { return load<std::int16_t>(batch_layout::attributes); }
  std::int32_t record_count() const { return load<std::int32_t>(batch_layout::record_count); }
  // Valid because validate_batch rejects compression bits 5..7.
  compression_type compression() const {
    return static_cast<compression_type>(attributes() & batch_attributes::compression_mask);
  }
  timestamp_type ts_type() const {
    return (attributes() & batch_attributes::log_append_time) ? timestamp_type::log_append_time
                                                              : timestamp_type::create_time;
  }
  bool is_transactional() const { return attributes() & batch_attributes::transactional; }
  bool is_control() const { return attributes() & batch_attributes::control; }
  std::int64_t base_timestamp() const { return load<std::int64_t>(batch_layout::base_timestamp); }
  std::int64_t max_timestamp() const { return load<std::int64_t>(batch_layout::max_timestamp); }
  std::int64_t producer_id() const { return load<std::int64_t>(batch_layout::producer_id); }
  std::int16_t producer_epoch() const { return load<std::int16_t>(batch_layout::producer_epoch); }
  std::int32_t base_sequence() const { return load<std::int32_t>(batch_layout::base_sequence); }

 private:
  template <typename T>
  T load(std::size_t at) const {
    return base::load_be<T>(_data.data() + at);
  }
  base::byte_span _data;
};

// How strict validate_batch is.
enum class validation_level : std::uint8_t {
  // Batches as they may legitimately sit in a log (recovery, fetch): compaction can leave fewer
  // records than lastOffsetDelta + 1, even none.
  stored,
  // Batches from a producer, checked as Kafka's LogValidator does: at least one record,
  // recordCount == lastOffsetDelta + 1, a producer id on transactional batches.
  produce,
};

// Checks that `data` is exactly one complete batch: enough bytes (truncated), batchLength equal to
// the span (corrupt_message when the span is longer), magic 2 (unsupported_magic), CRC
// (corrupt_message), compression codec (unsupported_compression), record count and
// lastOffsetDelta (invalid_record). The records themselves are not decoded (no decompression).
result<record_batch_view> validate_batch(base::byte_span data,
                                         validation_level level = validation_level::produce);

// The batches in a buffer of concatenated batches (a produce request's records, a fetch
// response, a segment file). Only framing is checked (header, magic, batchLength), not CRCs.
struct split_batches_result {
  std::vector<base::byte_span> batches;  // complete batches, in order
  // Bytes after the last complete batch. Non-zero means a trailing partial batch: legal at the end
  // of a fetch response, a torn write at the end of a segment, an error in a produce request.
  std::size_t trailing_bytes = 0;
};
result<split_batches_result> split_batches(base::byte_span buffer);

// Allocation-free form of split_batches: next() yields each complete batch, then an empty span
// (end, or a partial tail: see trailing_bytes()), or an error when a header is corrupt.
class batch_splitter {
 public:
  explicit batch_splitter(base::byte_span buffer) : _rest(buffer) {}
  result<base::byte_span> next();
  std::size_t trailing_bytes() const { return _rest.size(); }

 private:
  base::byte_span _rest;
};

// In-place rewrites by the broker. Precondition: `batch` is one batch that passed validation.
// baseOffset and partitionLeaderEpoch lie outside the CRC, so these leave the CRC as it is.
void assign_offsets(std::span<std::uint8_t> batch, std::int64_t base_offset);
void set_partition_leader_epoch(std::span<std::uint8_t> batch, std::int32_t epoch);
// Marks the batch LogAppendTime with maxTimestamp = `timestamp` (readers then take it as every
// record's timestamp) and recomputes the CRC.
void set_log_append_time(std::span<std::uint8_t> batch, std::int64_t timestamp);

}  // namespace spate::model
