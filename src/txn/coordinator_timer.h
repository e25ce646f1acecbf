#pragma once
// Drives the transaction coordinator's deadlines on one background thread: sleeps on a condition
// variable until the coordinator's next deadline (or until it announces an earlier one), then
// calls expire_due(). Tests drive the coordinator by hand instead. (The same loop as
// group::coordinator_timer; the two could become one io/ helper over two callbacks.)
//
// Thread-safety: construct and destroy from one thread; the destructor stops the thread. The
// coordinator must outlive this object.
#include <condition_variable>
#include <mutex>
#include <thread>

namespace spate::txn {

class transaction_coordinator;

class coordinator_timer {
 public:
  explicit coordinator_timer(transaction_coordinator& c);
  ~coordinator_timer();
  coordinator_timer(const coordinator_timer&) = delete;
  coordinator_timer& operator=(const coordinator_timer&) = delete;

 private:
  void run();
  void wake();

  transaction_coordinator& _coordinator;
  std::mutex _mutex;
  std::condition_variable _wake;
  bool _stopping = false;  // guarded by _mutex
  bool _woken = false;     // guarded by _mutex: a deadline may have moved earlier
  std::thread _thread;
};

}  // namespace spate::txn
