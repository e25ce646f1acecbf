#include "broker/auth_failure_throttle.h"

#include <algorithm>

namespace spate::broker {
namespace {

constexpr auto failure_window = std::chrono::minutes(1);
constexpr auto max_failure_delay = std::chrono::milliseconds(5000);
// Peers remembered at most; a flood of distinct addresses cannot grow the table without bound.
constexpr std::size_t max_tracked_peers = 10000;

}  // namespace

std::chrono::milliseconds auth_failure_throttle::record_failure(std::string_view ip,
                                                                std::chrono::steady_clock::time_point now) {
  _total.fetch_add(1, std::memory_order_relaxed);
  std::uint32_t count = 0;
  {
    base::mutex_lock lock(_mu);
    if (_peers.size() >= max_tracked_peers) {
      std::erase_if(_peers, [&](const auto& entry) { return now - entry.second.window_start > failure_window; });
      if (_peers.size() >= max_tracked_peers) _peers.clear();
    }
    auto& f = _peers[std::string(ip)];
    if (f.count == 0 || now - f.window_start > failure_window) f = {now, 0};
    count = ++f.count;
  }
  return std::min<std::chrono::milliseconds>(_base_delay * count, max_failure_delay);
}

}  // namespace spate::broker
