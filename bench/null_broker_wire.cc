#include "null_broker_wire.h"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <utility>

#include "model/crc32c.h"
#include "model/record_batch_builder.h"

namespace spate_bench {

batch_template::batch_template(std::size_t value_size, std::int32_t count, std::int64_t timestamp) {
  std::vector<std::uint8_t> value(value_size);
  std::mt19937 rng(42);
  for (auto& b : value) b = static_cast<std::uint8_t>(rng());
  model::record_batch_builder builder;
  for (std::int32_t i = 0; i < count; ++i) builder.append(timestamp, std::nullopt, base::byte_span(value));
  _full = builder.build();
  // Record boundaries: each record starts with its length as a zigzag varint.
  _record_end.push_back(0);
  const base::byte_span body = base::byte_span(_full).subspan(header_size);
  std::size_t at = 0;
  while (at < body.size()) {
    const auto len = base::read_uvarint(body.subspan(at), 5);
    if (!len) throw std::logic_error("batch_template: bad record length");
    at += len->length + static_cast<std::size_t>(base::zigzag_decode(len->value));
    _record_end.push_back(at);
  }
  if (_record_end.size() != static_cast<std::size_t>(count) + 1 || at != body.size()) {
    throw std::logic_error("batch_template: record count mismatch");
  }
  _headers.resize(_record_end.size());
}

const std::array<std::uint8_t, batch_template::header_size>& batch_template::header(std::int32_t k) {
  auto& slot = _headers[static_cast<std::size_t>(k)];
  if (!slot) {
    namespace L = model::batch_layout;
    std::array<std::uint8_t, header_size> h;
    std::memcpy(h.data(), _full.data(), header_size);
    const auto records_bytes = _record_end[static_cast<std::size_t>(k)];
    base::store_be<std::int32_t>(h.data() + L::batch_length,
                                 static_cast<std::int32_t>(header_size - L::log_overhead + records_bytes));
    base::store_be<std::int32_t>(h.data() + L::last_offset_delta, k - 1);
    base::store_be<std::int32_t>(h.data() + L::record_count, k);
    // The CRC covers [attributes, end): the rest of this header, then the records.
    const auto crc = model::crc32c(records(k), model::crc32c(base::byte_span(h).subspan(L::attributes)));
    base::store_be<std::uint32_t>(h.data() + L::crc, crc);
    slot = h;
  }
  return *slot;
}

std::int32_t count_records(base::byte_span records) {
  model::batch_splitter splitter(records);
  std::int64_t count = 0;
  for (;;) {
    auto batch = splitter.next();
    if (!batch) return -1;
    if (batch->empty()) break;
    if (batch->size() < model::batch_layout::header_size) return -1;
    count += std::int64_t{base::load_be<std::int32_t>(batch->data() + model::batch_layout::last_offset_delta)} + 1;
  }
  if (count <= 0 || splitter.trailing_bytes() != 0 || count > INT32_MAX) return -1;
  return static_cast<std::int32_t>(count);
}

std::string check_template(batch_template& tmpl) {
  for (const std::int32_t k : {1, std::min(2, tmpl.max_records()), tmpl.max_records()}) {
    base::byte_buffer batch(tmpl.header(k).begin(), tmpl.header(k).end());
    const auto records = tmpl.records(k);
    batch.insert(batch.end(), records.begin(), records.end());
    const auto valid = model::validate_batch(batch);
    if (!valid || valid->record_count() != k) return "template batch of " + std::to_string(k) + " records";
  }
  return "";
}

std::string check_produce_walk() {
  model::record_batch_builder a, b, c;
  for (int i = 0; i < 3; ++i) a.append(1, std::nullopt, std::nullopt);
  for (int i = 0; i < 2; ++i) b.append(1, std::nullopt, std::nullopt);
  c.append(1, std::nullopt, std::nullopt);
  protocol::produce_request req;
  req.acks = -1;
  auto& t = req.topic_data.emplace_back();
  t.name = "t";
  auto& p0 = t.partition_data.emplace_back();
  p0.index = 0;
  auto two_batches = a.build();
  const auto more = b.build();
  two_batches.insert(two_batches.end(), more.begin(), more.end());
  p0.records = std::move(two_batches);
  t.partition_data.emplace_back().index = 1;  // null records
  auto& u = req.topic_data.emplace_back();
  u.name = "u";
  auto& u5 = u.partition_data.emplace_back();
  u5.index = 5;
  u5.records = c.build();
  const std::string expected = "t 0:5 1:-1 u 5:1 ";
  for (std::int16_t v = 3; v <= 8; ++v) {
    base::byte_buffer bytes;
    protocol::writer w(bytes);
    req.encode(w, v);
    protocol::reader r{base::byte_span(bytes)};
    std::string seen;
    const auto acks = walk_produce_request(
        r, v, [&](std::string name) { seen += name + " "; },
        [&](std::int32_t index, std::int32_t records, std::size_t) {
          seen += std::to_string(index) + ":" + std::to_string(records) + " ";
        });
    if (acks != -1 || !r.empty() || seen != expected) return "produce v" + std::to_string(v) + " walk: " + seen;
  }
  return "";
}

}  // namespace spate_bench
