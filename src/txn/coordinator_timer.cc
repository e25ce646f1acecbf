#include "txn/coordinator_timer.h"

#include <algorithm>
#include <chrono>

#include "txn/transaction_coordinator.h"

namespace spate::txn {

coordinator_timer::coordinator_timer(transaction_coordinator& c) : _coordinator(c) {
  _coordinator.set_wakeup([this] { wake(); });
  _thread = std::thread([this] { run(); });
}

coordinator_timer::~coordinator_timer() {
  _coordinator.set_wakeup({});
  {
    std::lock_guard lock(_mutex);
    _stopping = true;
  }
  _wake.notify_one();
  _thread.join();
}

void coordinator_timer::wake() {
  {
    std::lock_guard lock(_mutex);
    _woken = true;
  }
  _wake.notify_one();
}

void coordinator_timer::run() {
  using namespace std::chrono;
  std::unique_lock lock(_mutex);
  while (!_stopping) {
    _woken = false;
    lock.unlock();
    const std::int64_t next = _coordinator.expire_due();
    lock.lock();
    // Deadlines are wall-clock milliseconds (io::system_clock); cap the wait so a far deadline
    // cannot overflow the time point.
    const auto now = system_clock::now();
    const auto deadline = std::min(system_clock::time_point(milliseconds(next)), now + hours(1));
    _wake.wait_until(lock, deadline, [this] { return _stopping || _woken; });
  }
}

}  // namespace spate::txn
