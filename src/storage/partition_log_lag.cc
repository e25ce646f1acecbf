// partition_log's reads for the lag monitor: control records in a range and the first data
// record's timestamp, by walking batch headers (partition_log.h).
#include <algorithm>

#include "model/record.h"
#include "storage/partition_log.h"

namespace spate::storage {
namespace {
namespace L = model::batch_layout;

// Small batches cost one pread per window of them, large ones one per header.
constexpr std::size_t window_bytes = 64u << 10;
// decode_records' bound for the one batch first_data_record decodes (max.message.bytes is far less).
constexpr std::size_t max_decoded_bytes = 64u << 20;

// Batch headers of one segment, read through a window of the file, below a size snapshot.
class header_reader {
 public:
  header_reader(const segment& seg, std::uint64_t limit) : _seg(seg), _limit(limit) {}

  // The header of the batch at `position`; nullopt when no whole batch lies there below the limit.
  result<std::optional<model::batch_header>> at(std::uint64_t position) {
    using opt = std::optional<model::batch_header>;
    if (position + L::header_size > _limit) return opt();
    if (position < _window_at || position + L::header_size > _window_at + _window_len) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(window_bytes, _limit - position));
      _window.resize(want);
      auto n = _seg.pread(std::span<std::uint8_t>(_window.data(), want), position);
      if (!n) return base::failure(n.error());
      _window_at = position;
      _window_len = *n;
      if (_window_len < L::header_size) return opt();
    }
    auto h = model::parse_batch_header(base::byte_span(_window.data() + (position - _window_at), L::header_size));
    if (!h) return base::failure(errc::corrupt_log);
    if (position + h->size_bytes() > _limit) return opt();
    return opt(*h);
  }

 private:
  const segment& _seg;
  const std::uint64_t _limit;
  base::byte_buffer _window;
  std::uint64_t _window_at = 0;
  std::size_t _window_len = 0;
};

enum class walk_end { stopped, out_of_budget, end_of_data };

// Calls visit(segment, position, header) for each batch whose last offset is >= `from`, in log
// order across `segments`, until it returns false (stopped), `max_batches` headers were visited
// (out_of_budget) or the data ends. Counts visited headers in `visited`.
template <typename Visit>
result<walk_end> walk_headers(const std::vector<std::shared_ptr<segment>>& segments, std::int64_t from,
                              std::size_t max_batches, std::size_t& visited, Visit visit) {
  bool first = true;
  for (const auto& seg : segments) {
    const auto limit = seg->size();
    std::uint64_t position = 0;
    if (first) {
      // The offset index gets us near `from`; later segments start at their beginning.
      auto loc = seg->find_batch(from, limit);
      if (!loc) return base::failure(loc.error());
      if (!*loc) continue;
      position = (*loc)->position;
      first = false;
    }
    header_reader reader(*seg, limit);
    for (;;) {
      auto h = reader.at(position);
      if (!h) return base::failure(h.error());
      if (!*h) break;
      if ((*h)->last_offset() >= from) {
        if (visited >= max_batches) return walk_end::out_of_budget;
        ++visited;
        if (!visit(*seg, position, **h)) return walk_end::stopped;
      }
      position += (*h)->size_bytes();
    }
  }
  return walk_end::end_of_data;
}

}  // namespace

result<partition_log::control_scan> partition_log::scan_control_records(std::int64_t from, std::int64_t to,
                                                                        std::size_t max_batches) const {
  control_scan out;
  out.scanned_to = from;
  // Loaded before the segment list: every batch below this end is then in the list's sizes.
  const auto end = std::min(to, log_end_offset());
  const auto start = std::max(from, log_start_offset());
  if (start >= end) {
    out.scanned_to = std::max(from, to);
    return out;
  }
  auto walked = walk_headers(segments_from(start), start, max_batches, out.batches_read,
                             [&](const segment&, std::uint64_t, const model::batch_header& h) {
                               if (h.base_offset >= end) return false;
                               if (h.is_control() && h.record_count > 0) {
                                 const auto last = std::min(h.last_offset(), end - 1);
                                 for (auto o = std::max(h.base_offset, start); o <= last; ++o)
                                   out.control_offsets.push_back(o);
                               }
                               out.scanned_to = std::max(out.scanned_to, h.last_offset() + 1);
                               return true;
                             });
  if (!walked) return base::failure(walked.error());
  if (*walked != walk_end::out_of_budget) out.scanned_to = std::max(from, to);
  out.scanned_to = std::min(out.scanned_to, std::max(from, to));
  return out;
}

result<partition_log::data_record_lookup> partition_log::first_data_record(std::int64_t offset, std::int64_t max_offset,
                                                                           std::size_t max_batches) const {
  data_record_lookup out;
  const auto end = std::min(max_offset, log_end_offset());
  const auto start = std::max(offset, log_start_offset());
  if (start >= end) return out;
  std::size_t visited = 0;
  std::optional<errc> error;
  auto walked = walk_headers(
      segments_from(start), start, max_batches, visited,
      [&](const segment& seg, std::uint64_t position, const model::batch_header& h) {
        if (h.base_offset >= end) return false;
        if (h.is_control() || h.record_count <= 0) return true;
        if (h.ts_type() == model::timestamp_type::log_append_time) {
          out.record = timestamp_offset{h.max_timestamp, std::max(h.base_offset, start)};
          return false;
        }
        // Producers set the base timestamp to the first record's; no need to read further
        // unless the log cleaner rewrote the batch (records removed, or the base
        // timestamp holding its delete horizon).
        const bool as_produced =
            h.record_count == h.last_offset_delta + 1 && (h.attributes & model::batch_attributes::delete_horizon) == 0;
        if (h.base_offset >= start && as_produced) {
          out.record = timestamp_offset{h.base_timestamp, h.base_offset};
          return false;
        }
        base::byte_buffer bytes(h.size_bytes());
        auto n = seg.pread(bytes, position);
        if (!n) {
          error = n.error();
          return false;
        }
        auto view = model::validate_batch(base::byte_span(bytes.data(), *n), model::validation_level::stored);
        if (!view) {
          error = errc::corrupt_log;
          return false;
        }
        auto records = model::decode_records(*view, max_decoded_bytes);
        if (!records) {
          error = errc::corrupt_log;
          return false;
        }
        for (const auto& r : *records) {
          if (r.offset >= start) {
            out.record = timestamp_offset{r.timestamp, r.offset};
            return false;
          }
        }
        return true;  // compaction removed the rest of this batch: the next one
      });
  if (!walked) return base::failure(walked.error());
  if (error) return base::failure(*error);
  out.complete = *walked != walk_end::out_of_budget;
  return out;
}

}  // namespace spate::storage
