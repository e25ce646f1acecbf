#include "model/record_batch.h"

#include "base/assert.h"
#include "model/crc32c.h"

namespace spate::model {

namespace {
namespace L = batch_layout;

// batchLength can never be smaller than the header bytes it covers.
constexpr std::int32_t kMinBatchLength =
    static_cast<std::int32_t>(L::header_size - L::log_overhead);
// Smallest encoded record: length, attributes, timestampDelta, offsetDelta, key length, value
// length and header count, one byte each.
constexpr std::size_t kMinRecordSize = 7;

void check_batch_span(std::span<const std::uint8_t> batch) {
  // Invariant: in-place rewrites and views only ever see one whole, validated batch.
  SPATE_ASSERT(batch.size() >= L::header_size, "batch shorter than its header");
  SPATE_ASSERT(batch.size() == L::log_overhead +
                                   static_cast<std::size_t>(
                                       base::load_be<std::int32_t>(batch.data() + L::batch_length)),
               "batch span and batchLength disagree");
}
}  // namespace

result<batch_header> parse_batch_header(base::byte_span data) {
  if (data.size() <= L::magic) return base::failure(errc::truncated);
  const auto* p = data.data();
  if (static_cast<std::int8_t>(p[L::magic]) != batch_magic_v2)
    return base::failure(errc::unsupported_magic);
  if (base::load_be<std::int32_t>(p + L::batch_length) < kMinBatchLength)
    return base::failure(errc::corrupt_message);
  if (data.size() < L::header_size) return base::failure(errc::truncated);
  batch_header h;
  h.base_offset = base::load_be<std::int64_t>(p + L::base_offset);
  h.batch_length = base::load_be<std::int32_t>(p + L::batch_length);
  h.partition_leader_epoch = base::load_be<std::int32_t>(p + L::partition_leader_epoch);
  h.magic = static_cast<std::int8_t>(p[L::magic]);
  h.crc = base::load_be<std::uint32_t>(p + L::crc);
  h.attributes = base::load_be<std::int16_t>(p + L::attributes);
  h.last_offset_delta = base::load_be<std::int32_t>(p + L::last_offset_delta);
  h.base_timestamp = base::load_be<std::int64_t>(p + L::base_timestamp);
  h.max_timestamp = base::load_be<std::int64_t>(p + L::max_timestamp);
  h.producer_id = base::load_be<std::int64_t>(p + L::producer_id);
  h.producer_epoch = base::load_be<std::int16_t>(p + L::producer_epoch);
  h.base_sequence = base::load_be<std::int32_t>(p + L::base_sequence);
  h.record_count = base::load_be<std::int32_t>(p + L::record_count);
  return h;
}

std::uint32_t compute_batch_crc(base::byte_span batch) {
  SPATE_ASSERT(batch.size() >= L::header_size, "batch shorter than its header");
  return crc32c(batch.subspan(L::attributes));
}

record_batch_view::record_batch_view(base::byte_span batch) : _data(batch) {
  check_batch_span(batch);
}

batch_header record_batch_view::header() const {
  auto h = parse_batch_header(_data);
  SPATE_ASSERT(h.has_value(), "record_batch_view over an invalid header");
  return *h;
}

result<record_batch_view> validate_batch(base::byte_span data, validation_level level) {
  auto parsed = parse_batch_header(data);
  if (!parsed) return base::failure(parsed.error());
  const batch_header& h = *parsed;
  if (data.size() < h.size_bytes()) return base::failure(errc::truncated);
  if (data.size() > h.size_bytes()) return base::failure(errc::corrupt_message);
  if (compute_batch_crc(data) != h.crc) return base::failure(errc::corrupt_message);
  if (!compression_from_bits(h.compression_bits()))
    return base::failure(errc::unsupported_compression);

  if (h.record_count < 0 || h.last_offset_delta < 0) return base::failure(errc::invalid_record);
  // Each record has its own offset delta in [0, lastOffsetDelta].
  if (static_cast<std::int64_t>(h.record_count) >
      static_cast<std::int64_t>(h.last_offset_delta) + 1)
    return base::failure(errc::invalid_record);
  const std::size_t records_bytes = data.size() - L::header_size;
  if (h.compression_bits() == 0 &&
      static_cast<std::size_t>(h.record_count) > records_bytes / kMinRecordSize)
    return base::failure(errc::invalid_record);

  if (level == validation_level::produce) {
    if (h.record_count == 0) return base::failure(errc::invalid_record);
    if (h.record_count != h.last_offset_delta + 1) return base::failure(errc::invalid_record);
    if (h.is_transactional() && h.producer_id < 0) return base::failure(errc::invalid_record);
    // Control batches (transaction markers) are written by the broker, never by clients.
    if (h.is_control()) return base::failure(errc::invalid_record);
  }
  return record_batch_view(data);
}

result<base::byte_span> batch_splitter::next() {
  if (_rest.size() < L::log_overhead) return base::byte_span{};
  const std::int32_t length = base::load_be<std::int32_t>(_rest.data() + L::batch_length);
  if (length < kMinBatchLength) return base::failure(errc::corrupt_message);
  if (_rest.size() > L::magic && static_cast<std::int8_t>(_rest[L::magic]) != batch_magic_v2)
    return base::failure(errc::unsupported_magic);
  const std::size_t total = L::log_overhead + static_cast<std::size_t>(length);
  if (total > _rest.size()) return base::byte_span{};  // partial tail
  const auto batch = _rest.first(total);
  _rest = _rest.subspan(total);
  return batch;
}

result<split_batches_result> split_batches(base::byte_span buffer) {
  split_batches_result out;
  batch_splitter splitter(buffer);
  for (;;) {
    auto next = splitter.next();
    if (!next) return base::failure(next.error());
    if (next->empty()) break;
    out.batches.push_back(*next);
  }
  out.trailing_bytes = splitter.trailing_bytes();
  return out;
}

void assign_offsets(std::span<std::uint8_t> batch, std::int64_t base_offset) {
  check_batch_span(batch);
  base::store_be<std::int64_t>(batch.data() + L::base_offset, base_offset);
}

void set_partition_leader_epoch(std::span<std::uint8_t> batch, std::int32_t epoch) {
  check_batch_span(batch);
  base::store_be<std::int32_t>(batch.data() + L::partition_leader_epoch, epoch);
}

void set_log_append_time(std::span<std::uint8_t> batch, std::int64_t timestamp) {
  check_batch_span(batch);
  auto* p = batch.data();
  const auto attrs = base::load_be<std::int16_t>(p + L::attributes);
  base::store_be<std::int16_t>(
      p + L::attributes, static_cast<std::int16_t>(attrs | batch_attributes::log_append_time));
  base::store_be<std::int64_t>(p + L::max_timestamp, timestamp);
  base::store_be<std::uint32_t>(p + L::crc, compute_batch_crc(batch));
}

}  // namespace spate::model
