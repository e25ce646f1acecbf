#include "storage/segment.h"

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"
#include "storage/file_names.h"

namespace spate::storage {
namespace {
namespace L = model::batch_layout;

errc to_errc(const std::error_code& e) { return from_os_error(e); }

std::size_t max_index_entries(const log_config& cfg, std::size_t entry_size) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(cfg.segment_index_bytes) / entry_size);
}

}  // namespace

segment::segment(io::file_system& fs, std::filesystem::path dir, std::int64_t base_offset, const log_config& cfg,
                 std::int64_t now_ms, std::string_view suffix)
    : _fs(fs),
      _dir(std::move(dir)),
      _base_offset(base_offset),
      _index_interval_bytes(cfg.index_interval_bytes),
      _created_ms(now_ms),
      _suffix(suffix),
      _next_offset(base_offset),
      _offset_of_max_timestamp(base_offset),
      _offset_index(base_offset, max_index_entries(cfg, offset_index::entry_size)),
      _time_index(base_offset, max_index_entries(cfg, time_index::entry_size)) {}

result<std::shared_ptr<segment>> segment::create(io::file_system& fs, const std::filesystem::path& dir,
                                                 std::int64_t base_offset, const log_config& cfg, std::int64_t now_ms,
                                                 std::string_view suffix) {
  std::shared_ptr<segment> s(new segment(fs, dir, base_offset, cfg, now_ms, suffix));
  if (auto r = s->open_files(true); !r) return base::failure(r.error());
  return s;
}

result<std::shared_ptr<segment>> segment::open(io::file_system& fs, const std::filesystem::path& dir,
                                               std::int64_t base_offset, const log_config& cfg, std::int64_t now_ms,
                                               std::string_view suffix) {
  std::shared_ptr<segment> s(new segment(fs, dir, base_offset, cfg, now_ms, suffix));
  if (auto r = s->open_files(false); !r) return base::failure(r.error());
  return s;
}

result<void> segment::open_files(bool create) {
  auto log = _fs.open(path_of(log_file_name(_base_offset)), {.write = true, .create = create, .exclusive = create});
  if (!log) {
    SPATE_LOG_ERROR("event=segment_open_failed dir={} base_offset={} error=\"{}\"", _dir.string(),
                    _base_offset, log.error().message());
    return base::failure(to_errc(log.error()));
  }
  _log = std::move(*log);
  if (create) {
    // Empty index files exist from the start: a segment whose index files are missing is one
    // open() must recover.
    for (const auto& name : {index_file_name(_base_offset), time_index_file_name(_base_offset)}) {
      if (auto r = write_index_file(name, {}, 0, /*replace=*/true, /*sync=*/false); !r) return r;
    }
    // Empty: no data to sync (their directory entries are the partition's directory sync's).
    base::mutex_lock files_lock(_index_files_mutex);
    _index_files_unsynced = false;
    return {};
  }
  auto log_size = _log->size();
  if (!log_size) return base::failure(to_errc(log_size.error()));
  // Reads an index file whole; nullopt when it does not exist.
  auto load = [this](const std::string& name) -> result<std::optional<base::byte_buffer>> {
    auto f = _fs.open(path_of(name), {});
    if (!f) {
      if (f.error() == std::errc::no_such_file_or_directory) return std::optional<base::byte_buffer>();
      return base::failure(to_errc(f.error()));
    }
    auto size = (*f)->size();
    if (!size) return base::failure(to_errc(size.error()));
    base::byte_buffer out(*size);
    auto n = (*f)->pread(out, 0);
    if (!n) return base::failure(to_errc(n.error()));
    out.resize(*n);
    return std::optional<base::byte_buffer>(std::move(out));
  };
  auto index_bytes = load(index_file_name(_base_offset));
  if (!index_bytes) return base::failure(index_bytes.error());
  auto time_index_bytes = load(time_index_file_name(_base_offset));
  if (!time_index_bytes) return base::failure(time_index_bytes.error());
  const bool index_existed = index_bytes->has_value();
  const bool time_index_existed = time_index_bytes->has_value();
  // Both uncontended (the segment is not shared yet), taken in the order write_index_tail() takes
  // them; no I/O under them.
  base::mutex_lock files_lock(_index_files_mutex);
  base::mutex_lock lock(_mutex);
  _size = *log_size;
  const bool index_ok = _offset_index.load(index_bytes->value_or(base::byte_buffer{}), _size);
  const bool time_index_ok = _time_index.load(time_index_bytes->value_or(base::byte_buffer{}));
  // An empty index is only believable for a log shorter than one index interval.
  const bool index_plausible =
      _offset_index.entries() > 0 || _size <= static_cast<std::uint64_t>(_index_interval_bytes) + (1 << 20);
  _need_recovery = !index_existed || !time_index_existed || !index_ok || !time_index_ok || !index_plausible;
  _offset_entries_in_file = _offset_index.entries();
  _time_entries_in_file = _time_index.entries();
  if (_need_recovery)
    SPATE_LOG_WARN("event=segment_index_invalid dir={} base_offset={} index_exists={} index_ok={} "
                   "time_index_exists={} time_index_ok={}",
                   _dir.string(), _base_offset, index_existed, index_ok, time_index_existed,
                   time_index_ok);
  return {};
}

std::uint64_t segment::size() const {
  base::mutex_lock lock(_mutex);
  return _size;
}
std::int64_t segment::next_offset() const {
  base::mutex_lock lock(_mutex);
  return _next_offset;
}
std::int64_t segment::max_timestamp() const {
  base::mutex_lock lock(_mutex);
  return _max_timestamp;
}
std::int64_t segment::offset_of_max_timestamp() const {
  base::mutex_lock lock(_mutex);
  return _offset_of_max_timestamp;
}
std::optional<std::int64_t> segment::first_batch_timestamp() const {
  base::mutex_lock lock(_mutex);
  return _first_batch_timestamp;
}
std::int64_t segment::rolling_base_timestamp() const {
  base::mutex_lock lock(_mutex);
  return _first_batch_timestamp.value_or(_created_ms);
}
bool segment::offset_index_full() const {
  base::mutex_lock lock(_mutex);
  return _offset_index.is_full();
}
bool segment::time_index_full() const {
  base::mutex_lock lock(_mutex);
  return _time_index.is_full();
}
std::size_t segment::offset_index_entries() const {
  base::mutex_lock lock(_mutex);
  return _offset_index.entries();
}
std::size_t segment::time_index_entries() const {
  base::mutex_lock lock(_mutex);
  return _time_index.entries();
}

result<std::size_t> segment::pread(std::span<std::uint8_t> out, std::uint64_t position) const {
  auto n = _log->pread(out, position);
  if (!n) return base::failure(to_errc(n.error()));
  return *n;
}

result<std::optional<batch_location>> segment::read_location(std::uint64_t position,
                                                             std::uint64_t size_limit) const {
  if (position + L::header_size > size_limit) return std::optional<batch_location>();
  std::uint8_t header[L::header_size];
  auto n = _log->pread(header, position);
  if (!n) return base::failure(to_errc(n.error()));
  if (*n < L::header_size) return std::optional<batch_location>();
  auto h = model::parse_batch_header(base::byte_span(header, *n));
  if (!h) return base::failure(errc::corrupt_log);
  batch_location loc;
  loc.position = position;
  loc.size = static_cast<std::uint32_t>(h->size_bytes());
  loc.base_offset = h->base_offset;
  loc.last_offset = h->last_offset();
  loc.max_timestamp = h->max_timestamp;
  if (position + loc.size > size_limit) return std::optional<batch_location>();
  return std::optional<batch_location>(loc);
}

void segment::index_batch(std::uint64_t position, std::uint32_t size, std::int64_t last_offset,
                          std::int64_t max_timestamp, std::size_t& new_offset_entries,
                          std::size_t& new_time_entries) {
  if (!_first_batch_timestamp && max_timestamp >= 0) _first_batch_timestamp = max_timestamp;
  if (max_timestamp > _max_timestamp) {
    _max_timestamp = max_timestamp;
    _offset_of_max_timestamp = last_offset;
  }
  if (_bytes_since_last_index_entry > static_cast<std::uint32_t>(_index_interval_bytes)) {
    if (!_offset_index.is_full()) {
      _offset_index.append(last_offset, static_cast<std::uint32_t>(position));
      ++new_offset_entries;
    }
    if (_max_timestamp >= 0 && _time_index.maybe_append(_max_timestamp, _offset_of_max_timestamp))
      ++new_time_entries;
    _bytes_since_last_index_entry = 0;
  }
  _bytes_since_last_index_entry += size;
  _size = position + size;
  _next_offset = last_offset + 1;
}

result<void> segment::append(base::byte_span bytes, std::span<const append_batch> batches) {
  std::uint64_t start;
  {
    base::mutex_lock lock(_mutex);
    start = _size;
  }
  // Invariant: positions fit the index's i32 (segment.bytes is capped at INT32_MAX).
  SPATE_ASSERT(start + bytes.size() <= static_cast<std::uint64_t>(INT32_MAX), "segment over 2 GiB");
  if (auto r = _log->pwrite(bytes, start); !r) return base::failure(to_errc(r.error()));
  std::size_t new_offset_entries = 0;
  std::size_t new_time_entries = 0;
  base::mutex_lock lock(_mutex);
  for (const auto& b : batches)
    index_batch(start + b.position, b.size, b.last_offset, b.max_timestamp, new_offset_entries, new_time_entries);
  // Invariant: the batches cover exactly the appended bytes.
  SPATE_ASSERT(_size == start + bytes.size(), "append batches do not cover the bytes");
  return {};
}

result<void> segment::write_index_file(const std::string& name, base::byte_span bytes, std::uint64_t position,
                                       bool replace, bool sync) {
  auto f = _fs.open(path_of(name), {.write = true, .create = true, .truncate = replace});
  if (!f) return base::failure(to_errc(f.error()));
  if (!bytes.empty()) {
    if (auto r = (*f)->pwrite(bytes, position); !r) return base::failure(to_errc(r.error()));
  }
  if (sync) {
    if (auto r = (*f)->datasync(); !r) return base::failure(to_errc(r.error()));
  }
  return {};
}

result<void> segment::write_index_tail(bool sync) {
  base::mutex_lock files_lock(_index_files_mutex);
  base::byte_buffer obuf;
  base::byte_buffer tbuf;
  std::size_t offset_entries;
  std::size_t time_entries;
  {
    base::mutex_lock lock(_mutex);
    offset_entries = _offset_index.entries();
    time_entries = _time_index.entries();
    // Invariant: the in-memory indexes only shrink in recovery, which rewrites the files whole.
    SPATE_ASSERT(offset_entries >= _offset_entries_in_file && time_entries >= _time_entries_in_file,
                 "index entries dropped without rewrite_indexes()");
    obuf.resize((offset_entries - _offset_entries_in_file) * offset_index::entry_size);
    for (std::size_t i = _offset_entries_in_file; i < offset_entries; ++i)
      _offset_index.encode_entry(i, obuf.data() + (i - _offset_entries_in_file) * offset_index::entry_size);
    tbuf.resize((time_entries - _time_entries_in_file) * time_index::entry_size);
    for (std::size_t i = _time_entries_in_file; i < time_entries; ++i)
      _time_index.encode_entry(i, tbuf.data() + (i - _time_entries_in_file) * time_index::entry_size);
  }
  if (!obuf.empty() || !tbuf.empty()) _index_files_unsynced = true;
  if (sync && !_index_files_unsynced) return {};
  if (!obuf.empty() || sync) {
    if (auto r = write_index_file(index_file_name(_base_offset), obuf,
                                  _offset_entries_in_file * offset_index::entry_size, false, sync);
        !r)
      return r;
    _offset_entries_in_file = offset_entries;
  }
  if (!tbuf.empty() || sync) {
    if (auto r = write_index_file(time_index_file_name(_base_offset), tbuf,
                                  _time_entries_in_file * time_index::entry_size, false, sync);
        !r)
      return r;
    _time_entries_in_file = time_entries;
  }
  if (sync) _index_files_unsynced = false;
  return {};
}

result<void> segment::seal() {
  {
    base::mutex_lock lock(_mutex);
    if (_max_timestamp >= 0)
      (void)_time_index.maybe_append(_max_timestamp, _offset_of_max_timestamp, /*allow_full=*/true);
  }
  return write_indexes();
}

result<void> segment::sync_log() {
  if (auto r = _log->datasync(); !r) return base::failure(to_errc(r.error()));
  return {};
}

result<void> segment::write_indexes() { return write_index_tail(/*sync=*/false); }

result<void> segment::sync_indexes() { return write_index_tail(/*sync=*/true); }

result<void> segment::delete_files() {
  result<void> out;
  // The partition log writes the .txnindex; it goes with its segment.
  for (const auto& name : {log_file_name(_base_offset), index_file_name(_base_offset),
                           time_index_file_name(_base_offset), txn_index_file_name(_base_offset)}) {
    if (auto r = _fs.unlink(path_of(name)); !r && r.error() != std::errc::no_such_file_or_directory)
      out = base::failure(errc::io_error);
  }
  return out;
}

result<void> segment::rename_files(std::string_view new_suffix) {
  const std::string to_suffix(new_suffix);
  for (const auto& name :
       {log_file_name(_base_offset), index_file_name(_base_offset), time_index_file_name(_base_offset)}) {
    if (auto r = _fs.rename(path_of(name), _dir / (name + to_suffix)); !r) return base::failure(errc::io_error);
  }
  _suffix = to_suffix;
  return {};
}

result<void> segment::load_tail() {
  std::uint64_t pos = 0;
  std::uint64_t size;
  {
    base::mutex_lock lock(_mutex);
    size = _size;
    if (auto e = _offset_index.last()) {
      pos = e->position;
      _next_offset = e->offset + 1;
    }
    if (auto t = _time_index.last()) {
      _max_timestamp = t->timestamp;
      _offset_of_max_timestamp = t->offset;
    }
  }
  if (size > 0) {
    auto first = read_location(0, size);
    if (!first) return base::failure(first.error());
    if (!*first) return base::failure(errc::corrupt_log);
    base::mutex_lock lock(_mutex);
    if ((*first)->max_timestamp >= 0) _first_batch_timestamp = (*first)->max_timestamp;
  }
  _bytes_since_last_index_entry = static_cast<std::uint32_t>(size - pos);
  while (pos < size) {
    auto loc = read_location(pos, size);
    if (!loc) return base::failure(loc.error());
    if (!*loc || (*loc)->base_offset < _base_offset) return base::failure(errc::corrupt_log);
    base::mutex_lock lock(_mutex);
    _next_offset = (*loc)->last_offset + 1;
    if ((*loc)->max_timestamp > _max_timestamp) {
      _max_timestamp = (*loc)->max_timestamp;
      _offset_of_max_timestamp = (*loc)->last_offset;
    }
    pos += (*loc)->size;
  }
  base::mutex_lock lock(_mutex);
  // The time index may not point past the log.
  if (auto t = _time_index.last(); t && t->offset >= _next_offset) return base::failure(errc::corrupt_log);
  return {};
}

void segment::reset_state() {
  base::mutex_lock lock(_mutex);
  _offset_index.clear();
  _time_index.clear();
  _size = 0;
  _next_offset = _base_offset;
  _max_timestamp = -1;
  _offset_of_max_timestamp = _base_offset;
  _first_batch_timestamp.reset();
  _bytes_since_last_index_entry = 0;
}

result<std::optional<std::uint64_t>> segment::skip_trusted_prefix(std::int64_t offset,
                                                                   std::uint64_t file_size) {
  using opt = std::optional<std::uint64_t>;
  std::uint64_t pos = 0;
  {
    base::mutex_lock lock(_mutex);
    const auto e = _offset_index.lookup(offset - 1);
    // The first batch of a segment never gets an entry, so position 0 means "no entry".
    pos = e.position;
    if (pos > 0) {
      _offset_index.truncate_to_position(pos + 1);
      _next_offset = e.offset + 1;
    } else {
      _offset_index.clear();
      _next_offset = _base_offset;
    }
    _time_index.truncate_to_offset(offset);
    if (auto t = _time_index.last()) {
      _max_timestamp = t->timestamp;
      _offset_of_max_timestamp = t->offset;
    } else {
      _max_timestamp = -1;
      _offset_of_max_timestamp = _base_offset;
    }
    _size = pos;
    _first_batch_timestamp.reset();
  }
  _bytes_since_last_index_entry = 0;
  if (file_size > 0) {
    auto first = read_location(0, file_size);
    if (!first || !*first) return opt();
    base::mutex_lock lock(_mutex);
    if ((*first)->max_timestamp >= 0) _first_batch_timestamp = (*first)->max_timestamp;
  }
  for (;;) {
    auto loc = read_location(pos, file_size);
    if (!loc || !*loc) break;
    if ((*loc)->base_offset >= offset) break;
    base::mutex_lock lock(_mutex);
    _next_offset = (*loc)->last_offset + 1;
    if ((*loc)->max_timestamp > _max_timestamp) {
      _max_timestamp = (*loc)->max_timestamp;
      _offset_of_max_timestamp = (*loc)->last_offset;
    }
    _bytes_since_last_index_entry += (*loc)->size;
    pos += (*loc)->size;
    _size = pos;
  }
  if (next_offset() != offset) return opt();
  return opt(pos);
}

// Over 80 lines on purpose: one scan whose state (the read window, the position, the stop reason)
// every step shares; split up, each piece would take most of it by reference.
result<std::uint64_t> segment::recover(std::int64_t trusted_below) {
  auto file_size = _log->size();
  if (!file_size) return base::failure(to_errc(file_size.error()));
  std::uint64_t pos = 0;
  bool resumed = false;
  if (!_need_recovery && trusted_below > _base_offset) {
    auto p = skip_trusted_prefix(trusted_below, *file_size);
    if (!p) return base::failure(p.error());
    if (*p) {
      pos = **p;
      resumed = true;
    }
  }
  if (!resumed) reset_state();
  const std::uint64_t validated_from = pos;

  base::byte_buffer buf(1 << 20);
  std::uint64_t chunk_start = pos;
  std::size_t chunk_len = 0;
  std::size_t ignored_o = 0;
  std::size_t ignored_t = 0;
  const char* stop_reason = "end";
  for (;;) {
    // Make [pos, pos + header) available in the buffer.
    auto ensure = [&](std::size_t need) -> result<bool> {
      if (pos >= chunk_start && pos + need <= chunk_start + chunk_len) return true;
      if (pos + need > *file_size) return false;
      if (buf.size() < need) buf.resize(need);
      chunk_start = pos;
      auto n = _log->pread(buf, pos);
      if (!n) return base::failure(to_errc(n.error()));
      chunk_len = *n;
      return chunk_len >= need;
    };
    if (pos == *file_size) break;
    auto have = ensure(L::log_overhead + 5);
    if (!have) return base::failure(have.error());
    if (!*have) {
      stop_reason = "partial_header";
      break;
    }
    const auto* p = buf.data() + (pos - chunk_start);
    const auto length = base::load_be<std::int32_t>(p + L::batch_length);
    if (length < static_cast<std::int32_t>(L::header_size - L::log_overhead) ||
        static_cast<std::uint64_t>(length) > static_cast<std::uint64_t>(INT32_MAX) - L::log_overhead) {
      stop_reason = "bad_length";
      break;
    }
    const std::size_t batch_size = L::log_overhead + static_cast<std::size_t>(length);
    have = ensure(batch_size);
    if (!have) return base::failure(have.error());
    if (!*have) {
      stop_reason = "partial_batch";
      break;
    }
    const base::byte_span bytes(buf.data() + (pos - chunk_start), batch_size);
    auto view = model::validate_batch(bytes, model::validation_level::stored);
    if (!view) {
      stop_reason = "invalid_batch";
      break;
    }
    base::mutex_lock lock(_mutex);
    if (view->base_offset() < _next_offset || !can_hold_offset(view->last_offset())) {
      stop_reason = "offset_out_of_order";
      break;
    }
    index_batch(pos, static_cast<std::uint32_t>(batch_size), view->last_offset(), view->max_timestamp(),
                ignored_o, ignored_t);
    pos += batch_size;
  }
  const std::uint64_t truncated = *file_size - pos;
  if (truncated > 0) {
    SPATE_LOG_WARN("event=segment_truncated dir={} base_offset={} validated_from={} valid_bytes={} "
                   "cut_bytes={} reason={}",
                   _dir.string(), _base_offset, validated_from, pos, truncated, stop_reason);
    if (auto r = _log->truncate(pos); !r) return base::failure(to_errc(r.error()));
  }
  if (auto r = rewrite_indexes(); !r) return base::failure(r.error());
  if (auto r = sync_log(); !r) return base::failure(r.error());
  if (auto r = sync_indexes(); !r) return base::failure(r.error());
  _need_recovery = false;
  _validated_bytes = pos - validated_from;
  return truncated;
}

result<void> segment::rewrite_indexes() {
  base::mutex_lock files_lock(_index_files_mutex);
  base::byte_buffer obuf;
  base::byte_buffer tbuf;
  std::size_t offset_entries;
  std::size_t time_entries;
  {
    base::mutex_lock lock(_mutex);
    obuf = _offset_index.encode();
    tbuf = _time_index.encode();
    offset_entries = _offset_index.entries();
    time_entries = _time_index.entries();
  }
  _index_files_unsynced = true;
  if (auto r = write_index_file(index_file_name(_base_offset), obuf, 0, /*replace=*/true, false); !r) return r;
  _offset_entries_in_file = offset_entries;
  if (auto r = write_index_file(time_index_file_name(_base_offset), tbuf, 0, /*replace=*/true, false); !r) return r;
  _time_entries_in_file = time_entries;
  return {};
}

result<std::optional<batch_location>> segment::find_batch(std::int64_t offset,
                                                          std::uint64_t size_limit) const {
  std::uint64_t pos;
  std::optional<offset_index::entry> next;
  {
    base::mutex_lock lock(_mutex);
    const auto from = _offset_index.lookup(offset, size_limit);
    pos = from.position;
    // A consumer fetches on from where its last fetch ended, at the offset after a batch. The index
    // holds batches' last offsets (as Kafka's does), so the entry found is the batch before, and a
    // scan reads its header and then the wanted one's. When the wanted batch is the next indexed one
    // (every batch is once batches reach index.interval.bytes), its header alone answers.
    if (from.offset + 1 == offset) next = _offset_index.first_at_or_after(offset, size_limit);
  }
  if (next) {
    // Offsets increase through a segment, so a batch that starts at `offset` is the first to reach
    // it. Anything else (an unindexed batch in between, a read error) leaves it to the scan.
    auto loc = read_location(next->position, size_limit);
    if (loc && *loc && (*loc)->base_offset == offset) return loc;
  }
  for (;;) {
    auto loc = read_location(pos, size_limit);
    if (!loc || !*loc) return loc;
    if ((*loc)->last_offset >= offset) return loc;
    pos += (*loc)->size;
  }
}

result<std::optional<batch_location>> segment::find_batch_by_timestamp(std::int64_t timestamp,
                                                                       std::uint64_t size_limit) const {
  std::uint64_t pos;
  {
    base::mutex_lock lock(_mutex);
    const auto t = _time_index.lookup(timestamp);
    pos = _offset_index.lookup(t.offset, size_limit).position;
  }
  for (;;) {
    auto loc = read_location(pos, size_limit);
    if (!loc || !*loc) return loc;
    if ((*loc)->max_timestamp >= timestamp) return loc;
    pos += (*loc)->size;
  }
}

}  // namespace spate::storage
