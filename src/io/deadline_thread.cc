#include "io/deadline_thread.h"

#include <algorithm>
#include <chrono>

namespace spate::io {

deadline_thread::deadline_thread(operations ops) : _ops(std::move(ops)) {
  _ops.set_wakeup([this] { wake(); });
  _thread = std::thread([this] { run(); });
}

deadline_thread::~deadline_thread() {
  _ops.set_wakeup({});
  {
    std::lock_guard lock(_mutex);
    _stopping = true;
  }
  _wake.notify_one();
  _thread.join();
}

void deadline_thread::wake() {
  {
    std::lock_guard lock(_mutex);
    _woken = true;
  }
  _wake.notify_one();
}

void deadline_thread::run() {
  using namespace std::chrono;
  std::unique_lock lock(_mutex);
  while (!_stopping) {
    _woken = false;
    lock.unlock();
    const std::int64_t next = _ops.expire_due();
    lock.lock();
    // Deadlines are wall-clock milliseconds (io::system_clock); cap the wait so a far deadline
    // cannot overflow the time point.
    const auto now = system_clock::now();
    const auto deadline = std::min(system_clock::time_point(milliseconds(next)), now + hours(1));
    _wake.wait_until(lock, deadline, [this] { return _stopping || _woken; });
  }
}

}  // namespace spate::io
