#pragma once
// Shared by the log cleaner's tests: keyed batches and a read_committed consumer that reads a
// whole partition log from its start, as a Kafka consumer would.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "helpers.h"
#include "model/record.h"
#include "storage/io_throttle.h"
#include "storage/log_cleaner.h"

namespace spate::storage::test {

struct kv {
  std::string key;
  std::optional<std::string> value;  // nullopt: tombstone
};

struct batch_spec {
  std::vector<kv> records;
  std::int64_t timestamp = 0;
  model::compression_type compression = model::compression_type::none;
  std::int64_t producer_id = -1;
  std::int16_t epoch = 0;
  std::int32_t base_sequence = -1;
  bool transactional = false;
};

inline base::byte_buffer build(const batch_spec& s) {
  model::record_batch_builder b(s.compression, 0);
  if (s.producer_id >= 0) b.set_producer(s.producer_id, s.epoch, s.base_sequence);
  if (s.transactional) b.set_transactional();
  for (std::size_t i = 0; i < s.records.size(); ++i) {
    const auto& r = s.records[i];
    const base::byte_span key(reinterpret_cast<const std::uint8_t*>(r.key.data()), r.key.size());
    std::optional<base::byte_span> value;
    if (r.value) value = base::byte_span(reinterpret_cast<const std::uint8_t*>(r.value->data()), r.value->size());
    b.append(s.timestamp + static_cast<std::int64_t>(i), key, value);
  }
  return b.build();
}

// A record as a consumer sees it.
struct seen_record {
  std::int64_t offset = 0;
  std::string key;
  std::optional<std::string> value;
  friend bool operator==(const seen_record&, const seen_record&) = default;
};

inline std::string text(const std::optional<base::byte_buffer>& b) {
  return b ? std::string(b->begin(), b->end()) : std::string();
}

// Reads [log_start_offset, last stable offset) batch by batch like a read_committed consumer:
// control batches are skipped, and so are transactional batches inside an aborted transaction
// the log reports. Fails the test on a batch out of order.
inline std::vector<seen_record> read_committed(const partition_log& log) {
  std::vector<seen_record> out;
  const auto lso = log.last_stable_offset();
  std::int64_t offset = log.log_start_offset();
  const auto aborted = log.aborted_transactions(offset, lso);
  base::byte_buffer buffer;
  std::int64_t last_seen = -1;
  while (offset < lso) {
    auto r = log.read(offset, 64 << 10, lso, &buffer);
    EXPECT_TRUE(r.has_value());
    if (!r || r->records.empty()) break;
    for (auto batch : batches_of(r->records)) {
      auto view = model::validate_batch(batch, model::validation_level::stored);
      EXPECT_TRUE(view.has_value()) << "a stored batch fails validation";
      if (!view) return out;
      EXPECT_GT(view->base_offset(), last_seen) << "batches out of order";
      EXPECT_GE(view->last_offset(), offset) << "a batch wholly below the fetch offset";
      last_seen = view->last_offset();
      if (view->is_control()) continue;
      const bool skip =
          view->is_transactional() && std::any_of(aborted.begin(), aborted.end(), [&](const aborted_txn& e) {
            return e.producer_id == view->producer_id() && e.first_offset <= view->base_offset() &&
                   view->base_offset() <= e.last_offset;
          });
      if (skip) continue;
      auto records = model::decode_records(*view, 1 << 24);
      EXPECT_TRUE(records.has_value());
      if (!records) return out;
      for (const auto& rec : *records) {
        EXPECT_TRUE(out.empty() || rec.offset > out.back().offset) << "records out of order";
        EXPECT_LE(rec.offset, view->last_offset());
        seen_record s{rec.offset, text(rec.key), std::nullopt};
        if (rec.value) s.value = text(rec.value);
        out.push_back(std::move(s));
      }
    }
    offset = r->next_offset;
  }
  return out;
}

// What a consumer that applies every record in order ends up with: key -> value, tombstones
// deleting.
inline std::map<std::string, std::string> materialise(const std::vector<seen_record>& records) {
  std::map<std::string, std::string> out;
  for (const auto& r : records) {
    if (r.value)
      out[r.key] = *r.value;
    else
      out.erase(r.key);
  }
  return out;
}

inline cleaner_settings test_settings(std::size_t dedupe = 1 << 20) {
  cleaner_settings s;
  s.dedupe_buffer_size = dedupe;
  return s;
}

inline log_config compact_config(std::int64_t segment_bytes = 1024) {
  log_config c;
  c.cleanup_policy = "compact";
  c.segment_bytes = segment_bytes;
  c.index_interval_bytes = 128;
  c.delete_retention_ms = 1000;
  // Page-cache acknowledgement: readers see appends at once; the cleaner still waits for the
  // recovery point (tests flush before cleaning).
  c.flush_messages = no_limit;
  return c;
}

}  // namespace spate::storage::test
