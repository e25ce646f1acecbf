#pragma once
// A few threads for work that blocks: fdatasync, open/create, unlink, directory fsync, SQLite.
// Event loops hand such work here and get told when it is done (by a callback they post back to
// themselves), so a slow disk never stalls network I/O.
//
// Thread-safety: submit() may be called from any thread, including from a task. Tasks run in FIFO
// order of submission but concurrently across threads: anything needing order must chain itself.
// The destructor runs every task already submitted, then joins the threads; submitting after the
// destructor has started is a bug.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spate::io {

class blocking_pool {
 public:
  using task = std::function<void()>;

  explicit blocking_pool(std::size_t threads = 2, std::string name = "blocking");
  ~blocking_pool();
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  void submit(task t);
  // Blocks until every task submitted so far (and any they submitted) has finished. For tests and
  // orderly shutdown; never call it from a task.
  void drain();
  std::size_t thread_count() const { return _threads.size(); }

 private:
  void run();

  std::string _name;
  std::mutex _mutex;
  std::condition_variable _work_cv;  // signalled on new work or stop
  std::condition_variable _idle_cv;  // signalled when a task finishes
  std::deque<task> _queue;           // guarded by _mutex
  std::size_t _running = 0;          // tasks executing now; guarded by _mutex
  bool _stopping = false;            // guarded by _mutex
  std::vector<std::thread> _threads;
};

}  // namespace spate::io
