#include "io/blocking_pool.h"

#include <pthread.h>

#include "base/assert.h"

namespace spate::io {

blocking_pool::blocking_pool(std::size_t threads, std::string name) : _name(std::move(name)) {
  SPATE_ASSERT(threads > 0, "a blocking pool needs at least one thread");
  _threads.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    _threads.emplace_back([this] { run(); });
    const auto thread_name = (_name + "-" + std::to_string(i)).substr(0, 15);
    ::pthread_setname_np(_threads.back().native_handle(), thread_name.c_str());
  }
}

blocking_pool::~blocking_pool() {
  {
    std::lock_guard lock(_mutex);
    _stopping = true;
  }
  _work_cv.notify_all();
  for (auto& t : _threads) t.join();
}

void blocking_pool::submit(task t) {
  {
    std::lock_guard lock(_mutex);
    _queue.push_back(std::move(t));
  }
  _work_cv.notify_one();
}

void blocking_pool::drain() {
  std::unique_lock lock(_mutex);
  _idle_cv.wait(lock, [&] { return _queue.empty() && _running == 0; });
}

void blocking_pool::run() {
  std::unique_lock lock(_mutex);
  for (;;) {
    _work_cv.wait(lock, [&] { return _stopping || !_queue.empty(); });
    // Stop only once the queue is empty: submitted work always runs.
    if (_queue.empty()) return;
    auto t = std::move(_queue.front());
    _queue.pop_front();
    ++_running;
    lock.unlock();
    t();
    t = nullptr;  // destroy captures outside the lock, before reporting idle
    lock.lock();
    --_running;
    if (_queue.empty() && _running == 0) _idle_cv.notify_all();
  }
}

}  // namespace spate::io
