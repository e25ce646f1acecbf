#pragma once
// Checks a produce request's records for one partition as Kafka's ProduceRequest.validateRecords and
// UnifiedLog.analyzeAndValidateRecords do, and then, separately, prepares them for append.
#include <cstdint>
#include <span>
#include <string>

#include "protocol/error_code.h"

namespace spate::broker {

struct produce_validation {
  protocol::error_code error = protocol::error_code::none;
  std::string message;  // for the response's error_message (v8+); empty when valid
  std::int32_t batches = 0;
  std::size_t valid_bytes = 0;  // the complete batches; what follows them is to be dropped
};

// Validates `records` (the concatenated batches of one partition) for a Produce of `version`:
//   no complete batch (empty, or only a truncated one), more than one batch (v3+), a batch of
//     magic 0/1 (we never down-convert; old message sets are refused), a bad record count, a
//     control batch (markers are the coordinator's), a batch with a producer id among others
//     .................................................................... INVALID_RECORD
//   a mis-framed batch header, a CRC mismatch ............................... CORRUPT_MESSAGE
//   a batch larger than `max_message_bytes` (checked before the CRC, as Kafka does) MESSAGE_TOO_LARGE
//   an unknown codec, or zstd below v7 ...................................... UNSUPPORTED_COMPRESSION_TYPE
// A partial batch after complete ones is ignored, as Kafka trims it: only `valid_bytes` are to be
// appended. Reads `records` only.
produce_validation validate_produce_records(std::span<const std::uint8_t> records, std::int16_t version,
                                            std::int32_t max_message_bytes);

// Compacted topics keep the latest record per key, so a record without a key has no place in them:
// Kafka's LogValidator refuses it (INVALID_RECORD, with the record's index in record_errors). Runs
// after validate_produce_records accepted `batches` (its first `valid_bytes`); decompresses. The
// first keyless record found, or error none.
struct keyless_record {
  protocol::error_code error = protocol::error_code::none;
  std::int32_t record_index = -1;  // counted across the batches, as Kafka's batch_index is
  std::string message;
};
keyless_record find_keyless_record(std::span<const std::uint8_t> batches, std::int32_t max_message_bytes);

// Stamps every batch of `batches` with this broker's partition leader epoch, in place (outside the
// CRC, which stays valid). Precondition: `batches` is the first `valid_bytes` of records that
// validate_produce_records accepted.
void stamp_partition_leader_epoch(std::span<std::uint8_t> batches);

}  // namespace spate::broker
