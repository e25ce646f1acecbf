#include "broker/partition_waiters.h"

#include <algorithm>
#include <utility>

namespace spate::broker {

partition_waiters::registration& partition_waiters::registration::operator=(registration&& other) noexcept {
  if (this != &other) {
    reset();
    _owner = std::move(other._owner);
    _id = std::exchange(other._id, 0);
    _keys = std::move(other._keys);
  }
  return *this;
}

void partition_waiters::registration::reset() {
  if (_owner) _owner->remove(_id, _keys);
  _owner.reset();
  _keys.clear();
}

partition_waiters::registration partition_waiters::add(std::vector<const storage::partition_log*> logs,
                                                       wake_fn wake) {
  std::sort(logs.begin(), logs.end());
  logs.erase(std::unique(logs.begin(), logs.end()), logs.end());
  registration r;
  r._owner = shared_from_this();
  std::lock_guard lock(_mutex);
  r._id = _next_id++;
  for (const auto* log : logs) _waiting.emplace(log, std::make_pair(r._id, wake));
  r._keys = std::move(logs);
  return r;
}

void partition_waiters::notify(const storage::partition_log* log) {
  std::lock_guard lock(_mutex);
  auto [first, last] = _waiting.equal_range(log);
  for (auto it = first; it != last; ++it) it->second.second();
}

std::size_t partition_waiters::size() const {
  std::lock_guard lock(_mutex);
  return _waiting.size();
}

void partition_waiters::remove(std::uint64_t id, const std::vector<const storage::partition_log*>& keys) {
  std::lock_guard lock(_mutex);
  for (const auto* key : keys) {
    auto [first, last] = _waiting.equal_range(key);
    for (auto it = first; it != last;) {
      it = it->second.first == id ? _waiting.erase(it) : std::next(it);
    }
  }
}

}  // namespace spate::broker
