#pragma once
// Drives the coordinator's deadlines on one background thread: sleeps on a condition variable
// until the coordinator's next deadline (or until it announces an earlier one), then calls
// expire_due(). Tests drive the coordinator by hand instead.
//
// Thread-safety: construct and destroy from one thread; the destructor stops the thread. The
// coordinator must outlive this object.
#include <condition_variable>
#include <mutex>
#include <thread>

namespace spate::group {

class coordinator;

class coordinator_timer {
 public:
  explicit coordinator_timer(coordinator& c);
  ~coordinator_timer();
  coordinator_timer(const coordinator_timer&) = delete;
  coordinator_timer& operator=(const coordinator_timer&) = delete;

 private:
  void run();
  void wake();

  coordinator& coordinator_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  bool woken_ = false;     // guarded by mutex_: a deadline may have moved earlier
  std::thread thread_;
};

}  // namespace spate::group
