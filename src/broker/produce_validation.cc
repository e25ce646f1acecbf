#include "broker/produce_validation.h"

#include <vector>

#include <fmt/format.h>

#include "base/assert.h"
#include "broker/error_mapping.h"
#include "broker/leader_epoch.h"
#include "model/record.h"
#include "model/record_batch.h"

namespace spate::broker {
namespace {

using protocol::error_code;

produce_validation fail(error_code error, std::string message) {
  return produce_validation{error, std::move(message), 0};
}

}  // namespace

produce_validation validate_produce_records(std::span<const std::uint8_t> records, std::int16_t version,
                                            std::int32_t max_message_bytes) {
  namespace L = model::batch_layout;
  if (records.empty()) return fail(error_code::invalid_record, "produce request without a record batch");
  // Kafka's order: the request-level checks (ProduceRequest.validateRecords: magic, codec for the
  // version, one batch from v3) come before the log's (UnifiedLog: size, then CRC, then records).
  std::vector<base::byte_span> batches;
  model::batch_splitter splitter(base::byte_span(records.data(), records.size()));
  for (;;) {
    auto next = splitter.next();
    if (!next) return fail(to_wire(next.error()), fmt::format("batch {}: malformed header", batches.size()));
    if (next->empty()) break;
    batches.push_back(*next);
  }
  // No complete batch (nothing, or only a truncated one): Kafka's iterator finds no batch.
  if (batches.empty()) return fail(error_code::invalid_record, "produce request without a complete record batch");
  for (const auto batch : batches) {
    const auto attributes = base::load_be<std::int16_t>(batch.data() + L::attributes);
    if (version < 7 && (attributes & model::batch_attributes::compression_mask) ==
                           static_cast<std::int16_t>(model::compression_type::zstd)) {
      return fail(error_code::unsupported_compression_type,
                  fmt::format("produce requests with version {} must not use zstd", version));
    }
  }
  if (version >= 3 && batches.size() > 1) {
    return fail(error_code::invalid_record,
                fmt::format("produce requests with version {} must contain exactly one record batch", version));
  }
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const auto batch = batches[i];
    if (batch.size() > static_cast<std::size_t>(std::max(0, max_message_bytes))) {
      return fail(error_code::message_too_large,
                  fmt::format("batch of {} bytes is larger than max.message.bytes={}", batch.size(), max_message_bytes));
    }
    auto view = model::validate_batch(batch, model::validation_level::produce);
    if (!view) return fail(to_wire(view.error()), fmt::format("batch {} is invalid", i));
    // Transaction markers are the coordinator's to write (Kafka's LogValidator rule).
    if (view->header().is_control())
      return fail(error_code::invalid_record, fmt::format("batch {}: clients may not write control batches", i));
    // Producer state is kept per batch: an idempotent batch travels alone (always so from v3).
    if (batches.size() > 1 && view->header().producer_id >= 0)
      return fail(error_code::invalid_record,
                  fmt::format("batch {}: idempotent or transactional batches must be alone in a partition's records", i));
  }
  // Bytes of a partial batch after complete ones are dropped (Kafka's UnifiedLog.trimInvalidBytes).
  return produce_validation{error_code::none, {}, static_cast<std::int32_t>(batches.size()),
                            records.size() - splitter.trailing_bytes()};
}

keyless_record find_keyless_record(std::span<const std::uint8_t> batches, std::int32_t max_message_bytes) {
  // Decompressed records may be larger than the batch; Kafka bounds them by the same limit only
  // loosely, so allow a generous multiple before calling the batch corrupt.
  const auto max_uncompressed = static_cast<std::size_t>(std::max(max_message_bytes, 1 << 20)) * 64;
  model::batch_splitter splitter(base::byte_span(batches.data(), batches.size()));
  std::int32_t index = 0;
  for (auto batch = splitter.next(); batch && !batch->empty(); batch = splitter.next()) {
    const model::record_batch_view view(*batch);
    auto records = model::decode_records(view, max_uncompressed);
    if (!records) return {to_wire(records.error()), -1, "records that do not decode"};
    for (const auto& r : *records) {
      if (!r.key) return {error_code::invalid_record, index, "Compacted topic cannot accept message without key"};
      ++index;
    }
  }
  return {};
}

void stamp_partition_leader_epoch(std::span<std::uint8_t> batches) {
  model::batch_splitter splitter(base::byte_span(batches.data(), batches.size()));
  for (auto batch = splitter.next(); batch && !batch->empty(); batch = splitter.next()) {
    const auto at = static_cast<std::size_t>(batch->data() - batches.data());
    model::set_partition_leader_epoch(batches.subspan(at, batch->size()), partition_leader_epoch);
  }
  // Invariant: validated bytes split into whole batches with nothing left over.
  SPATE_ASSERT(splitter.trailing_bytes() == 0, "leader epoch stamped on records that were not validated");
}

}  // namespace spate::broker
