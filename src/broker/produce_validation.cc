#include "broker/produce_validation.h"

#include <fmt/format.h>

#include "broker/error_mapping.h"
#include "broker/leader_epoch.h"
#include "model/record_batch.h"

namespace spate::broker {
namespace {

using protocol::error_code;

produce_validation fail(error_code error, std::string message) {
  return produce_validation{error, std::move(message), 0};
}

}  // namespace

produce_validation validate_produce_records(std::span<std::uint8_t> records, std::int16_t version,
                                            std::int32_t max_message_bytes) {
  namespace L = model::batch_layout;
  if (records.empty()) return fail(error_code::invalid_record, "produce request without a record batch");
  model::batch_splitter splitter(base::byte_span(records.data(), records.size()));
  std::int32_t count = 0;
  std::size_t at = 0;
  for (;;) {
    auto next = splitter.next();
    if (!next) return fail(to_wire(next.error()), fmt::format("batch {}: malformed header", count));
    const auto batch = *next;
    if (batch.empty()) break;
    if (version >= 3 && count == 1) {
      return fail(error_code::invalid_record,
                  fmt::format("produce requests with version {} must contain exactly one record batch", version));
    }
    if (batch.size() > static_cast<std::size_t>(std::max(0, max_message_bytes))) {
      return fail(error_code::message_too_large,
                  fmt::format("batch of {} bytes is larger than max.message.bytes={}", batch.size(), max_message_bytes));
    }
    auto view = model::validate_batch(batch, model::validation_level::produce);
    if (!view) return fail(to_wire(view.error()), fmt::format("batch {} is invalid", count));
    if (version < 7 && view->compression() == model::compression_type::zstd) {
      return fail(error_code::unsupported_compression_type,
                  fmt::format("produce requests with version {} must not use zstd", version));
    }
    ++count;
    at += batch.size();
  }
  if (splitter.trailing_bytes() != 0) {
    return fail(error_code::corrupt_message,
                fmt::format("{} bytes of a truncated batch after {} complete ones", splitter.trailing_bytes(), count));
  }
  if (count == 0) return fail(error_code::invalid_record, "produce request without a record batch");
  // Every batch is whole and valid: stamp the leader epoch (outside the CRC) in place.
  std::size_t pos = 0;
  while (pos < at) {
    const auto len = base::load_be<std::int32_t>(records.data() + pos + L::batch_length);
    const auto size = L::log_overhead + static_cast<std::size_t>(len);
    model::set_partition_leader_epoch(records.subspan(pos, size), partition_leader_epoch);
    pos += size;
  }
  return produce_validation{error_code::none, {}, count};
}

}  // namespace spate::broker
