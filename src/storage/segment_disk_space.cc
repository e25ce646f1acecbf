// segment's use of disk space and page cache: blocks reserved ahead of the appends and given
// back on roll, and the bounded page cache (write-back, then dropping what lies behind).
#include <sys/statvfs.h>

#include <algorithm>

#include "base/log.h"
#include "storage/segment.h"

namespace spate::storage {

namespace {
constexpr std::uint64_t min_reserve_ahead = std::uint64_t{64} << 10;

// 16 MiB, or 1/4096 of a smaller filesystem: reserved blocks count as used space, and on a small
// filesystem the disk quota's thresholds are only a few MiB apart. 0 when it cannot be told.
std::uint64_t max_reserve_ahead(const std::filesystem::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return 0;
  return std::min<std::uint64_t>(std::uint64_t{16} << 20, std::uint64_t{st.f_blocks} * st.f_frsize / 4096);
}
}  // namespace

void segment::reserve_ahead(std::uint64_t incoming, std::uint64_t segment_bytes) {
  if (!_max_reserve_ahead) _max_reserve_ahead = max_reserve_ahead(_dir);
  const std::uint64_t max_ahead = *_max_reserve_ahead;
  if (max_ahead < min_reserve_ahead) return;
  const std::uint64_t end = size() + incoming;
  const std::uint64_t reserved = _reserved_to.load(std::memory_order_relaxed);
  if (end <= reserved) return;
  const std::uint64_t to = std::max(end, std::min(end + std::clamp(end, min_reserve_ahead, max_ahead), segment_bytes));
  const std::uint64_t from = std::max(reserved, end - incoming);
  // Recorded even when it fails, so a full disk is not asked again on every append.
  (void)_log->reserve(from, to - from);
  _reserved_to.store(to, std::memory_order_relaxed);
}

void segment::release_reserved() {
  const std::uint64_t end = size();
  if (_reserved_to.load(std::memory_order_relaxed) <= end) return;
  // Truncating to the current size frees the blocks past it and changes nothing else.
  if (auto r = _log->truncate(end); !r) {
    SPATE_LOG_WARN("event=segment_reserve_release_failed dir={} base_offset={} error=\"{}\"", _dir.string(),
                   _base_offset, r.error().message());
    return;
  }
  _reserved_to.store(end, std::memory_order_relaxed);
}

namespace {
constexpr std::uint64_t page_size = 4096;
// The page cache holds files in folios of up to 2 MiB, and DONTNEED drops only folios wholly inside
// its range: each drop starts this far before where the last one ended, to take the folios that
// straddled that end.
constexpr std::uint64_t largest_folio = 2U << 20;
std::uint64_t folio_overlap(std::uint64_t from) { return from / largest_folio * largest_folio; }
}  // namespace

result<void> segment::trim_page_cache(std::uint64_t keep_bytes) {
  const std::uint64_t end = size();
  base::mutex_lock lock(_cache_mutex);
  if (end > _writeback_started_to) {
    if (auto r = _log->write_back(_writeback_started_to, end - _writeback_started_to, /*wait=*/false); !r)
      return base::failure(from_os_error(r.error()));
    _writeback_started_to = end;
  }
  if (end <= keep_bytes) return {};
  // Whole pages only, except for a segment leaving the window whole (0: to the end of the file):
  // the page holding the boundary stays for the bytes after it.
  const std::uint64_t drop_to = keep_bytes == 0 ? end : (end - keep_bytes) / page_size * page_size;
  if (drop_to <= _cache_dropped_to) return {};
  const std::uint64_t from = folio_overlap(_cache_dropped_to);
  const std::uint64_t length = keep_bytes == 0 ? 0 : drop_to - from;
  // Dirty pages and pages being written back are not dropped: wait until they are on the disk.
  if (auto r = _log->write_back(from, length, /*wait=*/true); !r) return base::failure(from_os_error(r.error()));
  if (auto r = _log->drop_from_cache(from, length); !r) return base::failure(from_os_error(r.error()));
  _cache_dropped_to = drop_to;
  _cold_below.store(drop_to, std::memory_order_release);
  return {};
}

void segment::read_cold(std::uint64_t position, std::uint64_t length) const {
  if (position + length > _cold_below.load(std::memory_order_acquire)) return;
  // Failure only means the pages stay cached.
  const std::uint64_t from = folio_overlap(position);
  (void)_log->drop_from_cache(from, position + length - from);
}

}  // namespace spate::storage
