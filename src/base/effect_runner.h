#pragma once
// How the group and transaction coordinators keep their one mutex off I/O and callbacks: an
// operation decides under the lock and collects its effects (I/O to start, answers to deliver,
// whether a new deadline appeared) into an `Effects`; run() performs them after the lock is
// released. A completion of I/O that run() started re-enters through resume(): under the lock
// again it collects new effects, which are then run without it.
//
// `Effects` needs `std::vector<std::function<void()>> answers` and `bool new_deadline`. The owner
// says how to start its I/O: `start` runs before the answers (an answer may prompt the client's
// next request, which should find the records already on their way), `start_after_answers`
// after them (Kafka answers EndTxn once PrepareCommit is durable and writes the markers after).
//
// Thread-safety: run() and the callbacks resume() returns must be called without the mutex;
// set_wakeup() takes it. The mutex is the owner's (it guards the owner's state too) and must
// outlive the runner.
#include <functional>
#include <mutex>
#include <utility>

namespace spate::base {

template <typename Effects>
class effect_runner {
 public:
  using stage = std::function<void(Effects&)>;

  effect_runner(std::mutex& mutex, stage start, stage start_after_answers = {})
      : _mutex(mutex), _start(std::move(start)), _start_after_answers(std::move(start_after_answers)) {}

  // Called (outside the lock) after run() when an operation noted a new deadline.
  void set_wakeup(std::function<void()> wakeup) {
    std::lock_guard lock(_mutex);
    _wakeup = std::move(wakeup);
  }

  void run(Effects& fx) {
    if (_start) _start(fx);
    for (auto& answer : fx.answers) answer();
    if (_start_after_answers) _start_after_answers(fx);
    if (!fx.new_deadline) return;
    std::function<void()> wakeup;
    {
      std::lock_guard lock(_mutex);
      wakeup = _wakeup;
    }
    if (wakeup) wakeup();
  }

  // A completion callback for I/O started by run(): called with the I/O's outcome `args...`, it
  // calls `step(args..., after)` under the mutex, then runs `after`.
  template <typename Step>
  auto resume(Step step) {
    return [this, step = std::move(step)](auto&&... args) mutable {
      Effects after;
      {
        std::lock_guard lock(_mutex);
        step(std::forward<decltype(args)>(args)..., after);
      }
      run(after);
    };
  }

 private:
  std::mutex& _mutex;
  const stage _start;
  const stage _start_after_answers;
  std::function<void()> _wakeup;  // guarded by _mutex
};

}  // namespace spate::base
