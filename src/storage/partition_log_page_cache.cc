// partition_log's page-cache footprint (partition_log.h, "Page-cache footprint").
#include <algorithm>

#include "storage/partition_log.h"

namespace spate::storage {

std::uint64_t partition_log::page_cache_trim_step() const {
  // A quarter of the kept window: write-back of a step starts three steps before the step is
  // dropped, so the drop rarely waits for the disk.
  constexpr std::uint64_t min_step = 1U << 20;
  constexpr std::uint64_t max_step = 16U << 20;
  return std::clamp(static_cast<std::uint64_t>(_load_opts.page_cache_keep_bytes) / 4, min_step, max_step);
}

void partition_log::schedule_page_cache_trim() {
  // One task per log at a time; requests made while it runs make it go round once more.
  if (_trim_requests.fetch_add(1) != 0) return;
  _pool.submit([self = shared_from_this()] {
    std::uint32_t n = self->_trim_requests.load();
    do {
      self->trim_page_cache();
      // Requests that came during the round ask for another.
      n = self->_trim_requests.fetch_sub(n) - n;
    } while (n != 0);
  });
}

void partition_log::trim_page_cache() {
  std::shared_ptr<segment> active;
  std::vector<std::shared_ptr<segment>> sealed;  // oldest first
  {
    base::mutex_lock lock(_write_mutex);
    if (!_closed && !_failed.load()) {
      active = _active;
      for (const auto& s : _sealed_untrimmed)
        if (auto held = s.lock()) sealed.push_back(std::move(held));
    }
  }
  // The window is the partition's newest bytes: the active segment's, then the sealed segments'
  // from the newest. A sealed segment entirely out of it is done.
  const auto keep = static_cast<std::uint64_t>(_load_opts.page_cache_keep_bytes);
  std::vector<const segment*> done;
  bool ok = true;
  if (active) {
    ok = static_cast<bool>(active->trim_page_cache(keep));
    std::uint64_t newer = active->size();
    for (auto it = sealed.rbegin(); ok && it != sealed.rend(); ++it) {
      const std::uint64_t keep_here = keep > newer ? keep - newer : 0;
      ok = static_cast<bool>((*it)->trim_page_cache(keep_here));
      if (keep_here == 0) done.push_back(it->get());
      newer += (*it)->size();
    }
  }
  if (!ok) {
    // sync_file_range(2) reports a failed write-back once per open file, as fdatasync does: the
    // flush round after it would not see it. So it fails the log, as a failed fdatasync does.
    fail(errc::io_error, "page_cache_trim");
  } else if (!done.empty()) {
    base::mutex_lock lock(_write_mutex);
    std::erase_if(_sealed_untrimmed, [&](const auto& s) {
      auto held = s.lock();
      return !held || std::ranges::find(done, held.get()) != done.end();
    });
  }
}

}  // namespace spate::storage
