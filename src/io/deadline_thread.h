#pragma once
// Drives an owner's deadlines on one background thread: sleeps on a condition variable until the
// owner's next deadline (or until the owner announces an earlier one through the wakeup it was
// given), then calls expire_due(). The group and transaction coordinators never sleep and own no
// thread; in the broker one deadline_thread each drives them, in tests a manual clock does.
//
// The owner's deadlines are wall-clock milliseconds since the epoch (io::system_clock).
//
// Thread-safety: construct and destroy from one thread; the destructor clears the wakeup and
// stops the thread. The owner must outlive this object.
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace spate::io {

class deadline_thread {
 public:
  // What the thread needs of its owner.
  struct operations {
    // Runs whatever is due now; returns the next deadline (ms since the epoch).
    std::function<std::int64_t()> expire_due;
    // Installs `wakeup`, which the owner calls (from any thread) when a new deadline may be
    // earlier than the one expire_due() last returned; an empty function uninstalls it.
    std::function<void(std::function<void()> wakeup)> set_wakeup;
  };

  explicit deadline_thread(operations ops);

  // For an owner with `std::int64_t expire_due()` and `void set_wakeup(std::function<void()>)`,
  // as group::coordinator and txn::transaction_coordinator have.
  template <typename Owner>
    requires requires(Owner& o, std::function<void()> f) {
      { o.expire_due() } -> std::convertible_to<std::int64_t>;
      o.set_wakeup(std::move(f));
    }
  explicit deadline_thread(Owner& owner)
      : deadline_thread(operations{
            .expire_due = [&owner] { return owner.expire_due(); },
            .set_wakeup = [&owner](std::function<void()> wakeup) { owner.set_wakeup(std::move(wakeup)); },
        }) {}

  ~deadline_thread();
  deadline_thread(const deadline_thread&) = delete;
  deadline_thread& operator=(const deadline_thread&) = delete;

 private:
  void run();
  void wake();

  const operations _ops;
  std::mutex _mutex;
  std::condition_variable _wake;
  bool _stopping = false;  // guarded by _mutex
  bool _woken = false;     // guarded by _mutex: a deadline may have moved earlier
  std::thread _thread;
};

}  // namespace spate::io
