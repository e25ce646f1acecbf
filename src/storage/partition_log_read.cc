// partition_log's reads: the segment list, fetches, and lookups by timestamp (partition_log.h).
#include <algorithm>

#include "base/assert.h"
#include "model/record.h"
#include "storage/partition_log.h"

namespace spate::storage {
namespace {
namespace L = model::batch_layout;

// The first record of `batch` with timestamp >= `timestamp` (decoding the records; one batch).
// Falls back to the batch's base offset when the records cannot be decoded.
timestamp_offset first_record_at_or_after(base::byte_span batch, std::int64_t timestamp) {
  auto view = model::validate_batch(batch, model::validation_level::stored);
  if (!view) return {};
  if (view->ts_type() == model::timestamp_type::log_append_time) return {view->max_timestamp(), view->base_offset()};
  auto records = model::decode_records(*view, 64u << 20);
  if (records) {
    for (const auto& r : *records)
      if (r.timestamp >= timestamp) return {r.timestamp, r.offset};
  }
  return {view->max_timestamp(), view->base_offset()};
}

}  // namespace

std::vector<std::shared_ptr<segment>> partition_log::segments_from(std::int64_t offset) const {
  std::vector<std::shared_ptr<segment>> out;
  base::mutex_lock lock(_segments_mutex);
  auto it = _segments.upper_bound(offset);
  if (it != _segments.begin()) --it;
  for (; it != _segments.end(); ++it) out.push_back(it->second);
  return out;
}

std::vector<std::shared_ptr<segment>> partition_log::segments() const {
  std::vector<std::shared_ptr<segment>> out;
  base::mutex_lock lock(_segments_mutex);
  for (const auto& [b, s] : _segments) out.push_back(s);
  return out;
}

std::uint64_t partition_log::size_bytes() const {
  std::uint64_t total = 0;
  for (const auto& s : segments()) total += s->size();
  return total;
}

std::size_t partition_log::segment_count() const {
  base::mutex_lock lock(_segments_mutex);
  return _segments.size();
}

result<read_result> partition_log::read(std::int64_t start, std::size_t max_bytes, std::int64_t max_offset,
                                        base::byte_buffer* buffer) const {
  read_result out;
  out.high_watermark = high_watermark();
  out.log_end_offset = log_end_offset();
  out.log_start_offset = log_start_offset();
  out.next_offset = start;
  if (start < out.log_start_offset || start > out.log_end_offset) return base::failure(errc::offset_out_of_range);
  max_offset = std::min(max_offset, out.log_end_offset);
  if (start >= max_offset) return out;

  if (buffer) return read_copy(start, max_bytes, max_offset, *buffer, out);
  for (const auto& seg : segments_from(start)) {
    const auto limit = seg->size();
    auto first = seg->find_batch(start, limit);
    if (!first) return base::failure(first.error());
    if (!*first) continue;  // nothing at or after `start` here: the next segment
    const auto& loc = **first;
    if (loc.last_offset >= max_offset) return out;
    std::uint64_t end = loc.position + loc.size;
    std::int64_t next = loc.last_offset + 1;
    const std::uint64_t want_end =
        std::min<std::uint64_t>(limit, loc.position + std::max<std::uint64_t>(max_bytes, loc.size));
    for (;;) {
      auto l = seg->read_location(end, want_end);
      if (!l) return base::failure(l.error());
      if (!*l || (*l)->last_offset >= max_offset) break;
      end += (*l)->size;
      next = (*l)->last_offset + 1;
    }
    out.next_offset = next;
    out.source = seg;
    out.fd = seg->native_handle();
    out.file_position = loc.position;
    out.file_length = static_cast<std::size_t>(end - loc.position);
    return out;
  }
  return out;
}

result<read_result> partition_log::read_copy(std::int64_t start, std::size_t max_bytes, std::int64_t max_offset,
                                             base::byte_buffer& buffer, read_result out) const {
  // Batches a compaction emptied (kept for a producer's sequence, or to mark where a cleaned
  // segment ends) hold no record. A response of nothing but those stalls consumers that expect a
  // record from every non-empty fetch (kafka-python 2.0 fails on it), so a read that found only
  // empty batches when its segment ended goes on into the next one, until it has a record.
  std::size_t filled = 0;
  bool only_empty = true;
  for (const auto& seg : segments_from(start)) {
    const auto limit = seg->size();
    auto first = seg->find_batch(start, limit);
    if (!first) return base::failure(first.error());
    if (!*first) continue;  // nothing at or after `start` here: the next segment
    const auto& loc = **first;
    if (loc.last_offset >= max_offset) break;
    const std::uint64_t budget = max_bytes > filled ? max_bytes - filled : 0;
    const std::uint64_t want_end =
        std::min<std::uint64_t>(limit, loc.position + std::max<std::uint64_t>(budget, loc.size));
    const auto want = static_cast<std::size_t>(want_end - loc.position);
    if (buffer.size() < filled + want) buffer.resize(filled + want);
    auto n = seg->pread(std::span<std::uint8_t>(buffer.data() + filled, want), loc.position);
    if (!n) return base::failure(n.error());
    // Invariant: the first batch is below the size snapshot, so it is all there.
    SPATE_ASSERT(*n >= loc.size, "short read inside a segment");
    seg->read_cold(loc.position, *n);
    // Whole batches below max_offset that fit.
    const auto* base = buffer.data() + filled;
    std::size_t at = 0;
    while (at + L::header_size <= *n) {
      const auto* p = base + at;
      const auto len = base::load_be<std::int32_t>(p + L::batch_length);
      if (len < static_cast<std::int32_t>(L::header_size - L::log_overhead)) break;
      const auto size = L::log_overhead + static_cast<std::size_t>(len);
      const auto last =
          base::load_be<std::int64_t>(p + L::base_offset) + base::load_be<std::int32_t>(p + L::last_offset_delta);
      // The first batch always goes (Kafka's rule, so consumers make progress).
      if (at > 0 && (at + size > *n || last >= max_offset)) break;
      if (base::load_be<std::int32_t>(p + L::record_count) > 0) only_empty = false;
      at += size;
      out.next_offset = last + 1;
    }
    filled += at;
    out.records = base::byte_span(buffer.data(), filled);
    if (out.source == nullptr) {
      out.source = seg;
      out.fd = seg->native_handle();
      out.file_position = loc.position;
      out.file_length = at;
    }
    if (!only_empty || loc.position + at < limit || out.next_offset >= max_offset) break;
    start = out.next_offset;
  }
  return out;
}

result<std::optional<timestamp_offset>> partition_log::offset_for_timestamp(std::int64_t timestamp,
                                                                            std::int64_t max_offset) const {
  using opt = std::optional<timestamp_offset>;
  const auto lso = log_start_offset();
  for (const auto& seg : segments_from(lso)) {
    if (seg->max_timestamp() < timestamp) continue;
    const auto limit = seg->size();
    auto loc = seg->find_batch_by_timestamp(timestamp, limit);
    if (!loc) return base::failure(loc.error());
    if (!*loc) continue;
    // Batches wholly below the log start offset are gone for readers.
    while (*loc && (*loc)->last_offset < lso) {
      auto nxt = seg->read_location((*loc)->position + (*loc)->size, limit);
      if (!nxt) return base::failure(nxt.error());
      *loc = *nxt;
      while (*loc && (*loc)->max_timestamp < timestamp) {
        nxt = seg->read_location((*loc)->position + (*loc)->size, limit);
        if (!nxt) return base::failure(nxt.error());
        *loc = *nxt;
      }
    }
    // The log cleaner leaves batches without records (a producer's last batch): they hold no
    // timestamp to find, so the search goes on with the next batch that may.
    while (*loc) {
      if ((*loc)->last_offset >= max_offset) return opt();
      base::byte_buffer bytes((*loc)->size);
      auto n = seg->pread(bytes, (*loc)->position);
      if (!n) return base::failure(n.error());
      const auto header = model::parse_batch_header(bytes);
      if (header && header->record_count == 0) {
        do {
          auto nxt = seg->read_location((*loc)->position + (*loc)->size, limit);
          if (!nxt) return base::failure(nxt.error());
          *loc = *nxt;
        } while (*loc && (*loc)->max_timestamp < timestamp);
        continue;
      }
      auto found = first_record_at_or_after(bytes, timestamp);
      if (found.offset < 0) return base::failure(errc::corrupt_log);
      if (found.offset < lso) found.offset = lso;
      return opt(found);
    }
  }
  return opt();
}

result<std::optional<timestamp_offset>> partition_log::max_timestamp() const {
  using opt = std::optional<timestamp_offset>;
  std::shared_ptr<segment> best;
  for (const auto& seg : segments_from(log_start_offset()))
    if (seg->max_timestamp() >= 0 && (!best || seg->max_timestamp() > best->max_timestamp())) best = seg;
  if (!best) return opt();
  const auto ts = best->max_timestamp();
  auto loc = best->find_batch(best->offset_of_max_timestamp(), best->size());
  if (!loc) return base::failure(loc.error());
  if (!*loc) return opt(timestamp_offset{ts, best->offset_of_max_timestamp()});
  base::byte_buffer bytes((*loc)->size);
  auto n = best->pread(bytes, (*loc)->position);
  if (!n) return base::failure(n.error());
  return opt(first_record_at_or_after(bytes, ts));
}

}  // namespace spate::storage
