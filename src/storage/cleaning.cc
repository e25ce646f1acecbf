#include "storage/cleaning.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/file_names.h"
#include "storage/offset_map.h"
#include "storage/transaction_index.h"

namespace spate::storage {
namespace {
namespace L = model::batch_layout;

bool aborted_stop(const cleaning_input& in) { return in.abort && in.abort->load(std::memory_order_acquire); }

// Reads the batches of one segment in order, through the throttle.
class batch_reader {
 public:
  batch_reader(const segment& seg, io_throttle& throttle, cleaning_stats& stats)
      : _seg(seg), _limit(seg.size()), _throttle(throttle), _stats(stats) {}

  // Positions the reader on the batch containing `offset` (or the next one).
  result<void> seek(std::int64_t offset) {
    auto loc = _seg.find_batch(offset, _limit);
    if (!loc) return base::failure(loc.error());
    _pos = *loc ? (*loc)->position : _limit;
    return {};
  }

  // The next batch (its bytes in `_buffer`); nullopt at the end.
  result<std::optional<batch_location>> next() {
    auto loc = _seg.read_location(_pos, _limit);
    if (!loc || !*loc) return loc;
    const auto& l = **loc;
    _stats.throttled_ms += _throttle.acquire(l.size);  // microseconds until run_cleaning converts
    _buffer.resize(l.size);
    auto n = _seg.pread(_buffer, l.position);
    if (!n) return base::failure(n.error());
    if (*n != l.size) return base::failure(errc::corrupt_log);
    _stats.bytes_read += l.size;
    _pos = l.position + l.size;
    return loc;
  }
  bool at_end() const { return _pos >= _limit; }
  std::span<std::uint8_t> bytes() { return _buffer; }

 private:
  const segment& _seg;
  const std::uint64_t _limit;
  io_throttle& _throttle;
  cleaning_stats& _stats;
  std::uint64_t _pos = 0;
  base::byte_buffer _buffer;
};

result<std::vector<model::record>> decode(base::byte_span batch, const cleaner_settings& settings) {
  auto view = model::validate_batch(batch, model::validation_level::stored);
  if (!view) return base::failure(errc::corrupt_log);
  auto records = model::decode_records(*view, settings.max_batch_uncompressed);
  if (!records) return base::failure(errc::corrupt_log);
  return std::move(*records);
}

// Aborted transactions by producer, to test a batch's membership.
class aborted_lookup {
 public:
  explicit aborted_lookup(const std::vector<aborted_txn>& entries) {
    for (const auto& e : entries) _by_producer[e.producer_id].push_back(e);
  }
  bool contains(std::int64_t producer_id, std::int64_t offset) const {
    const auto it = _by_producer.find(producer_id);
    if (it == _by_producer.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const aborted_txn& e) { return e.first_offset <= offset && offset <= e.last_offset; });
  }

 private:
  std::unordered_map<std::int64_t, std::vector<aborted_txn>> _by_producer;
};

std::int64_t saturating_add(std::int64_t a, std::int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

void set_crc(base::byte_buffer& batch) {
  base::store_be<std::uint32_t>(batch.data() + L::crc, model::compute_batch_crc(batch));
}

// A batch without records that keeps `h`'s offsets, producer fields and attributes (minus the
// codec: there is nothing to compress). Kafka writes such batches for the same reason.
base::byte_buffer empty_batch(const model::batch_header& h) {
  base::byte_buffer out;
  out.reserve(L::header_size);
  base::append_be<std::int64_t>(out, h.base_offset);
  base::append_be<std::int32_t>(out, static_cast<std::int32_t>(L::header_size - L::log_overhead));
  base::append_be<std::int32_t>(out, h.partition_leader_epoch);
  base::append_be<std::int8_t>(out, model::batch_magic_v2);
  base::append_be<std::uint32_t>(out, 0);
  base::append_be<std::int16_t>(out,
                                static_cast<std::int16_t>(h.attributes & ~model::batch_attributes::compression_mask));
  base::append_be<std::int32_t>(out, h.last_offset_delta);
  base::append_be<std::int64_t>(out, h.base_timestamp);
  base::append_be<std::int64_t>(out, h.max_timestamp);
  base::append_be<std::int64_t>(out, h.producer_id);
  base::append_be<std::int16_t>(out, h.producer_epoch);
  base::append_be<std::int32_t>(out, h.base_sequence);
  base::append_be<std::int32_t>(out, 0);
  set_crc(out);
  return out;
}

// `h`'s batch with only `kept`: same codec, producer fields, attributes, timestamp type and
// lastOffsetDelta (the producer state derives the last sequence from it).
base::byte_buffer rebuild(const model::batch_header& h, const std::vector<model::record>& kept,
                          std::optional<std::int64_t> horizon) {
  model::record_batch_builder b(static_cast<model::compression_type>(h.compression_bits()), h.base_offset);
  b.set_producer(h.producer_id, h.producer_epoch, h.base_sequence)
      .set_transactional(h.is_transactional())
      .set_control(h.is_control())
      .set_partition_leader_epoch(h.partition_leader_epoch);
  if (h.ts_type() == model::timestamp_type::log_append_time) b.set_log_append_time(h.max_timestamp);
  if (horizon) b.set_delete_horizon(*horizon);
  for (const auto& r : kept) b.add(r);
  auto out = b.build();
  base::store_be<std::int32_t>(out.data() + L::last_offset_delta, h.last_offset_delta);
  set_crc(out);
  return out;
}

bool is_abort_marker(const std::vector<model::record>& records) {
  if (records.empty() || !records.front().key || records.front().key->size() < 4) return false;
  return base::load_be<std::int16_t>(records.front().key->data() + 2) ==
         static_cast<std::int16_t>(model::control_record_type::abort);
}

struct map_result {
  std::int64_t end_offset = 0;
  bool mapped_anything = false;
};

// Pass 1: key -> latest offset over the dirty range, as far as the map holds.
result<map_result> build_offset_map(const cleaning_input& in, const cleaner_settings& settings, io_throttle& throttle,
                                    const aborted_lookup& aborted, offset_map& map, cleaning_stats& stats) {
  map_result out{in.first_dirty_offset, false};
  for (const auto& seg : in.segments) {
    if (seg->next_offset() <= in.first_dirty_offset) continue;
    batch_reader reader(*seg, throttle, stats);
    if (auto r = reader.seek(in.first_dirty_offset); !r) return base::failure(r.error());
    for (;;) {
      if (aborted_stop(in)) return base::failure(errc::shutting_down);
      auto loc = reader.next();
      if (!loc) return base::failure(loc.error());
      if (!*loc) break;
      auto h = model::parse_batch_header(reader.bytes());
      if (!h) return base::failure(errc::corrupt_log);
      // Markers and aborted records are never the live value of a key.
      if (h->is_control() || (h->is_transactional() && aborted.contains(h->producer_id, h->base_offset))) {
        out.end_offset = h->last_offset() + 1;
        continue;
      }
      auto records = decode(reader.bytes(), settings);
      if (!records) return base::failure(records.error());
      if (!map.has_room_for(records->size())) {
        // Full: clean up to here; the next round continues from this batch.
        if (out.end_offset == in.first_dirty_offset) return base::failure(errc::invalid_config);
        return out;
      }
      for (const auto& r : *records) {
        if (r.key) (void)map.put(*r.key, r.offset);
      }
      out.mapped_anything = true;
      out.end_offset = h->last_offset() + 1;
    }
  }
  return out;
}

// The inputs of one output segment: contiguous segments within segment.bytes, the index size and
// the index's relative offsets (Kafka's groupSegmentsBySize).
std::vector<std::vector<std::shared_ptr<segment>>> group_segments(const std::vector<std::shared_ptr<segment>>& segs,
                                                                  const log_config& cfg) {
  std::vector<std::vector<std::shared_ptr<segment>>> groups;
  std::uint64_t bytes = 0;
  std::uint64_t offset_entries = 0;
  std::uint64_t time_entries = 0;
  const auto max_offset_entries = static_cast<std::uint64_t>(cfg.segment_index_bytes) / 8;
  const auto max_time_entries = static_cast<std::uint64_t>(cfg.segment_index_bytes) / 12;
  for (const auto& s : segs) {
    const bool fits = !groups.empty() && bytes + s->size() <= static_cast<std::uint64_t>(cfg.segment_bytes) &&
                      offset_entries + s->offset_index_entries() <= max_offset_entries &&
                      time_entries + s->time_index_entries() + 1 <= max_time_entries &&
                      s->next_offset() - 1 - groups.back().front()->base_offset() <= INT32_MAX;
    if (!fits) {
      groups.emplace_back();
      bytes = offset_entries = time_entries = 0;
    }
    groups.back().push_back(s);
    bytes += s->size();
    offset_entries += s->offset_index_entries();
    time_entries += s->time_index_entries();
  }
  return groups;
}

// Pass 2 state shared by the groups of one cleaning.
struct rewrite_state {
  const cleaning_input& in;
  const cleaner_settings& settings;
  io_throttle& throttle;
  const aborted_lookup& aborted;
  const offset_map& map;
  std::int64_t end_offset;
  cleaning_output& out;
  // Producer id -> whether a batch of its current transaction was written.
  std::unordered_map<std::int64_t, bool> txn_has_batch;
};

// Buffers output batches and appends them to the output segment in chunks.
class segment_writer {
 public:
  segment_writer(segment& seg, io_throttle& throttle, cleaning_stats& stats)
      : _seg(seg), _throttle(throttle), _stats(stats) {}
  result<void> add(base::byte_span batch, std::int64_t last_offset, std::int64_t max_timestamp) {
    _batches.push_back({_buffer.size(), static_cast<std::uint32_t>(batch.size()), last_offset, max_timestamp});
    _buffer.insert(_buffer.end(), batch.begin(), batch.end());
    if (_buffer.size() >= (1U << 20)) return flush();
    return {};
  }
  result<void> flush() {
    if (_buffer.empty()) return {};
    _stats.throttled_ms += _throttle.acquire(_buffer.size());  // microseconds, see batch_reader
    if (auto r = _seg.append(_buffer, _batches); !r) return r;
    _stats.bytes_written += _buffer.size();
    _buffer.clear();
    _batches.clear();
    return {};
  }

 private:
  segment& _seg;
  io_throttle& _throttle;
  cleaning_stats& _stats;
  base::byte_buffer _buffer;
  std::vector<append_batch> _batches;
};

// Filters one batch into `w` (log_cleaner.h has the rules). `tail`: the last batch of the group.
result<void> clean_batch(rewrite_state& st, std::span<std::uint8_t> bytes, bool tail, segment_writer& w) {
  auto& stats = st.out.stats;
  const auto& in = st.in;
  auto hp = model::parse_batch_header(bytes);
  if (!hp) return base::failure(errc::corrupt_log);
  const auto& h = *hp;
  const bool below_end = h.last_offset() < st.end_offset;
  const bool has_horizon = (h.attributes & model::batch_attributes::delete_horizon) != 0;
  const bool horizon_passed = has_horizon && h.base_timestamp <= in.now_ms;
  const auto new_horizon = saturating_add(in.now_ms, in.config.delete_retention_ms);
  const auto last_data = h.producer_id >= 0 ? in.last_data_offset.find(h.producer_id) : in.last_data_offset.end();
  const bool known_producer = last_data != in.last_data_offset.end();

  auto write = [&](base::byte_span b) -> result<void> {
    auto ph = model::parse_batch_header(b);
    return w.add(b, h.last_offset(), ph ? ph->max_timestamp : h.max_timestamp);
  };

  if (h.is_control()) {
    bool& has_batch = st.txn_has_batch[h.producer_id];
    const bool txn_left = has_batch;
    has_batch = false;
    ++stats.records_read;
    // A marker after the producer's last data batch carries its latest epoch: kept.
    const bool producer_needs = known_producer && last_data->second < h.base_offset;
    const bool removable = !txn_left && !producer_needs && below_end;
    if (removable && horizon_passed && !tail) {
      auto records = decode(bytes, st.settings);
      if (!records) return base::failure(records.error());
      if (is_abort_marker(*records)) st.out.dropped_abort_markers.push_back(h.base_offset);
      ++stats.records_removed;
      return {};
    }
    if (removable && !has_horizon) {
      auto records = decode(bytes, st.settings);
      if (!records) return base::failure(records.error());
      return write(rebuild(h, *records, new_horizon));
    }
    return write(bytes);
  }

  const bool txn_aborted = h.is_transactional() && st.aborted.contains(h.producer_id, h.base_offset);
  std::vector<model::record> kept;
  std::size_t total = static_cast<std::size_t>(std::max(0, h.record_count));
  bool needs_stamp = false;
  bool unchanged = false;
  if (!txn_aborted) {
    auto records = decode(bytes, st.settings);
    if (!records) return base::failure(records.error());
    total = records->size();
    kept.reserve(records->size());
    for (auto& r : *records) {
      if (!r.key) continue;  // Kafka removes keyless records from compacted logs
      if (const auto latest = st.map.get(*r.key); latest && *latest > r.offset) continue;
      if (!r.value && below_end && horizon_passed) continue;
      if (!r.value && below_end && !has_horizon) needs_stamp = true;
      kept.push_back(std::move(r));
    }
    unchanged = kept.size() == total;
  }
  stats.records_read += total;
  stats.records_removed += total - kept.size();
  const bool last_of_producer = known_producer && last_data->second == h.last_offset();
  result<void> r;
  bool written = true;
  if (unchanged && !needs_stamp) {
    r = write(bytes);
  } else if (!kept.empty()) {
    r = write(rebuild(h, kept,
                      needs_stamp   ? std::optional(new_horizon)
                      : has_horizon ? std::optional(h.base_timestamp)
                                    : std::nullopt));
  } else if (last_of_producer || tail) {
    r = write(empty_batch(h));
  } else {
    written = false;
  }
  if (written && h.is_transactional()) st.txn_has_batch[h.producer_id] = true;
  return r;
}

result<void> write_txn_index(io::file_system& fs, const std::filesystem::path& dir, std::int64_t base,
                             const std::vector<aborted_txn>& entries) {
  const auto path = dir / (txn_index_file_name(base) + std::string(cleaned_suffix));
  auto f = fs.open(path, {.write = true, .create = true, .truncate = true});
  if (!f) return base::failure(errc::io_error);
  base::byte_buffer bytes;
  for (const auto& e : entries) {
    auto one = encode_txn_index_entry(e);
    bytes.insert(bytes.end(), one.begin(), one.end());
  }
  if (!(*f)->pwrite(bytes, 0) || !(*f)->datasync()) return base::failure(errc::io_error);
  return {};
}

// Pass 2 for one group: writes and syncs its output segment.
result<void> clean_group(rewrite_state& st, const std::vector<std::shared_ptr<segment>>& inputs) {
  const auto& in = st.in;
  const auto base = inputs.front()->base_offset();
  // A leftover of an earlier abandoned round would make the exclusive create fail.
  for (const auto& name :
       {log_file_name(base), index_file_name(base), time_index_file_name(base), txn_index_file_name(base)})
    (void)in.fs->unlink(in.dir / (name + std::string(cleaned_suffix)));
  auto created = segment::create(*in.fs, in.dir, base, in.config, in.now_ms, cleaned_suffix);
  if (!created) return base::failure(created.error());
  cleaned_group group;
  group.output = *created;
  group.replaced = inputs;
  st.out.groups.push_back(group);  // registered first, so a failure removes its files
  segment_writer w(*group.output, st.throttle, st.out.stats);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    batch_reader reader(*inputs[i], st.throttle, st.out.stats);
    for (;;) {
      if (aborted_stop(in)) return base::failure(errc::shutting_down);
      auto loc = reader.next();
      if (!loc) return base::failure(loc.error());
      if (!*loc) break;
      const bool tail = i + 1 == inputs.size() && reader.at_end();
      if (auto r = clean_batch(st, reader.bytes(), tail, w); !r) return r;
    }
  }
  if (auto r = w.flush(); !r) return r;
  // Invariant: the output spans exactly its inputs' offsets (the tail batch is always kept).
  SPATE_ASSERT(group.output->next_offset() == inputs.back()->next_offset(), "cleaned segment lost its tail");
  const auto end = inputs.back()->next_offset();
  for (const auto& e : in.aborted) {
    if (e.last_offset < base || e.last_offset >= end) continue;
    const auto& dropped = st.out.dropped_abort_markers;
    if (std::find(dropped.begin(), dropped.end(), e.last_offset) != dropped.end()) continue;
    st.out.groups.back().txn_entries.push_back(e);
  }
  if (!st.out.groups.back().txn_entries.empty()) {
    if (auto r = write_txn_index(*in.fs, in.dir, base, st.out.groups.back().txn_entries); !r) return r;
  }
  if (auto r = group.output->seal(); !r) return r;
  if (auto r = group.output->sync_log(); !r) return r;
  return group.output->sync_indexes();
}

}  // namespace

void remove_cleaned_outputs(const std::vector<cleaned_group>& groups) {
  for (const auto& g : groups) (void)g.output->delete_files();
}

result<std::optional<cleaning_output>> run_cleaning(const cleaning_input& in, const cleaner_settings& settings,
                                                    io_throttle& throttle) {
  const auto started = std::chrono::steady_clock::now();
  cleaning_output out;
  const aborted_lookup aborted(in.aborted);
  offset_map map(settings.dedupe_buffer_size);
  auto mapped = build_offset_map(in, settings, throttle, aborted, map, out.stats);
  if (!mapped) return base::failure(mapped.error());
  if (mapped->end_offset <= in.first_dirty_offset) return std::optional<cleaning_output>{};
  out.end_offset = mapped->end_offset;

  std::vector<std::shared_ptr<segment>> rewritten;
  for (const auto& s : in.segments)
    if (s->base_offset() < out.end_offset) rewritten.push_back(s);
  rewrite_state st{in, settings, throttle, aborted, map, out.end_offset, out, {}};
  for (const auto& group : group_segments(rewritten, in.config)) {
    if (auto r = clean_group(st, group); !r) {
      remove_cleaned_outputs(out.groups);
      return base::failure(r.error());
    }
  }
  if (auto r = in.fs->sync_directory(in.dir); !r) {
    remove_cleaned_outputs(out.groups);
    return base::failure(errc::io_error);
  }
  out.stats.first_offset = rewritten.front()->base_offset();
  out.stats.first_dirty_offset = in.first_dirty_offset;
  out.stats.end_offset = out.end_offset;
  out.stats.segments_in = rewritten.size();
  out.stats.segments_out = out.groups.size();
  out.stats.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  out.stats.throttled_ms /= 1000;
  return std::optional<cleaning_output>(std::move(out));
}

}  // namespace spate::storage
