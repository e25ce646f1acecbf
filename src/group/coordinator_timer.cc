#include "group/coordinator_timer.h"

#include <algorithm>
#include <chrono>

#include "group/coordinator.h"

namespace spate::group {

coordinator_timer::coordinator_timer(coordinator& c) : coordinator_(c) {
  coordinator_.set_wakeup([this] { wake(); });
  thread_ = std::thread([this] { run(); });
}

coordinator_timer::~coordinator_timer() {
  coordinator_.set_wakeup({});
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void coordinator_timer::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void coordinator_timer::run() {
  using namespace std::chrono;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    woken_ = false;
    lock.unlock();
    const std::int64_t next = coordinator_.expire_due();
    lock.lock();
    // The coordinator's deadlines are wall-clock milliseconds (io::system_clock); cap the wait so
    // a far deadline cannot overflow the time point.
    const auto now = system_clock::now();
    const auto deadline = std::min(system_clock::time_point(milliseconds(next)), now + hours(1));
    wake_.wait_until(lock, deadline, [this] { return stopping_ || woken_; });
  }
}

}  // namespace spate::group
