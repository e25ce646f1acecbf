#pragma once
// Builds one magic-2 record batch from records: for tests, client tooling and the broker's own
// writes (internal topics, transaction markers). Not thread-safe; one builder per batch.
//
//   record_batch_builder b(compression_type::zstd, /*base_offset=*/0);
//   b.append(now_ms, key, value);
//   base::byte_buffer batch = std::move(b).build();
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "model/compression.h"
#include "model/record.h"
#include "model/record_batch.h"

namespace spate::model {

class record_batch_builder {
 public:
  explicit record_batch_builder(compression_type compression = compression_type::none,
                                std::int64_t base_offset = 0);

  record_batch_builder& set_producer(std::int64_t producer_id, std::int16_t producer_epoch,
                                     std::int32_t base_sequence);
  record_batch_builder& set_transactional(bool on = true);
  record_batch_builder& set_control(bool on = true);
  record_batch_builder& set_partition_leader_epoch(std::int32_t epoch);
  // LogAppendTime batch: maxTimestamp becomes `timestamp`, which readers take for every record.
  record_batch_builder& set_log_append_time(std::int64_t timestamp);

  // KIP-534 (the log cleaner): baseTimestamp becomes `horizon_ms` and the delete-horizon attribute
  // is set; record timestamps are encoded relative to it, so they read back unchanged.
  record_batch_builder& set_delete_horizon(std::int64_t horizon_ms);

  // Appends a record at the next offset (base_offset for the first record).
  record_batch_builder& append(std::int64_t timestamp, std::optional<base::byte_span> key,
                               std::optional<base::byte_span> value,
                               const std::vector<record_header>& headers = {});
  // Appends `r` at r.offset. Precondition (asserted): r.offset >= base_offset, above every
  // offset added before, and within int32 of base_offset.
  record_batch_builder& add(const record& r);

  std::size_t record_count() const { return static_cast<std::size_t>(_count); }
  std::int64_t next_offset() const { return _next_offset; }

  // The finished batch, CRC included.
  base::byte_buffer build() const;

 private:
  void encode(std::int64_t offset, std::int64_t timestamp, std::optional<base::byte_span> key,
              std::optional<base::byte_span> value, const std::vector<record_header>& headers);

  compression_type _compression;
  std::int64_t _base_offset;
  std::int64_t _next_offset;
  std::int32_t _count = 0;
  std::int32_t _last_offset_delta = 0;
  std::int16_t _attributes = 0;
  std::int32_t _partition_leader_epoch = -1;
  std::int64_t _producer_id = no_producer_id;
  std::int16_t _producer_epoch = no_producer_epoch;
  std::int32_t _base_sequence = no_sequence;
  std::int64_t _base_timestamp = no_timestamp;
  std::int64_t _max_timestamp = no_timestamp;
  std::optional<std::int64_t> _log_append_time;
  std::optional<std::int64_t> _delete_horizon;
  base::byte_buffer _records;  // encoded, uncompressed
  base::byte_buffer _scratch;  // one record's body
};

// Transaction markers: the single record of a control batch ending a transaction.
enum class control_record_type : std::int16_t { abort = 0, commit = 1 };
record make_end_txn_marker(control_record_type type, std::int32_t coordinator_epoch,
                           std::int64_t offset, std::int64_t timestamp);

}  // namespace spate::model
