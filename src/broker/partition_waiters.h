#pragma once
// Fetches parked in a long poll (max_wait_ms/min_bytes), by partition, and the wake-ups that
// appends send them: timers plus wake-ups, never sleeps (DESIGN.md).
//
// A fetch registers a wake function for every partition it reads, then waits on a timer on its own
// event loop. Whoever makes new data readable in a partition (the produce path, once the high
// watermark has moved past its batch — on a blocking-pool thread after the fsync, or at once for
// page-cache logs) calls notify(log). notify() runs each registered wake function; a wake function
// must be quick and must not call back into the registry: it posts to the fetch's executor.
//
// Thread-safe: one mutex, `_mutex`, guards `_waiting`. Wake functions run under it, so once a
// registration is destroyed no wake function of it is running or will run — the fetch's frame (and
// its event loop) may go away right after.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace spate::storage {
class partition_log;
}

namespace spate::broker {

class partition_waiters : public std::enable_shared_from_this<partition_waiters> {
 public:
  using wake_fn = std::function<void()>;

  // Removes its wake function from every partition on destruction. Movable, not copyable.
  class registration {
   public:
    registration() = default;
    registration(registration&& other) noexcept { *this = std::move(other); }
    registration& operator=(registration&& other) noexcept;
    ~registration() { reset(); }
    void reset();

   private:
    friend class partition_waiters;
    std::shared_ptr<partition_waiters> _owner;
    std::uint64_t _id = 0;
    std::vector<const storage::partition_log*> _keys;
  };

  // Calls `wake` on every notify() of any of `logs` until the registration is destroyed. The
  // registry must be owned by a shared_ptr (the registration keeps it alive).
  [[nodiscard]] registration add(std::vector<const storage::partition_log*> logs, wake_fn wake);

  // New data is readable in `log`: wakes every fetch waiting on it. Any thread.
  void notify(const storage::partition_log* log);

  // Registered (fetch, partition) pairs; for tests.
  std::size_t size() const;

 private:
  void remove(std::uint64_t id, const std::vector<const storage::partition_log*>& keys);

  mutable std::mutex _mutex;
  std::uint64_t _next_id = 1;                                                       // guarded by _mutex
  std::multimap<const storage::partition_log*, std::pair<std::uint64_t, wake_fn>> _waiting;  // guarded by _mutex
};

}  // namespace spate::broker
