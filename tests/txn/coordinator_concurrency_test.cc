// Many producers at once, with appends and markers completing on other threads and the timer
// firing meanwhile: every callback is called exactly once and every transaction ends complete.
#include <atomic>
#include <condition_variable>
#include <future>
#include <thread>

#include "coordinator_test_support.h"

namespace spate::txn::test {
namespace {

using protocol::error_code;

// Completes every append and marker write on its own thread, in order.
class async_completer {
 public:
  ~async_completer() { stop(); }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(_mutex);
      _tasks.push_back(std::move(task));
    }
    _cv.notify_one();
  }
  // Waits until every task posted so far, and every task those posted, has run.
  void drain() {
    std::unique_lock lock(_mutex);
    _idle.wait(lock, [this] { return _tasks.empty() && !_busy; });
  }
  void stop() {
    {
      std::lock_guard lock(_mutex);
      _stopping = true;
    }
    _cv.notify_one();
    if (_thread.joinable()) _thread.join();
  }

 private:
  void run() {
    std::unique_lock lock(_mutex);
    for (;;) {
      _cv.wait(lock, [this] { return _stopping || !_tasks.empty(); });
      if (_tasks.empty()) return;
      auto task = std::move(_tasks.front());
      _tasks.pop_front();
      _busy = true;
      lock.unlock();
      task();
      lock.lock();
      _busy = false;
      if (_tasks.empty()) _idle.notify_all();
    }
  }
  std::mutex _mutex;
  std::condition_variable _cv;
  std::condition_variable _idle;
  bool _busy = false;
  std::deque<std::function<void()>> _tasks;
  bool _stopping = false;
  std::thread _thread{[this] { run(); }};
};

class threaded_log final : public transaction_log {
 public:
  explicit threaded_log(async_completer& c) : _completer(c) {}
  std::int32_t partition_count() const override { return 8; }
  void append(std::int32_t, std::vector<transaction_record>, std::function<void(errc)> done) override {
    _completer.post([done = std::move(done)] { done(errc::success); });
  }

 private:
  async_completer& _completer;
};

class threaded_markers final : public marker_writer {
 public:
  explicit threaded_markers(async_completer& c) : _completer(c) {}
  void write_markers(std::int64_t, std::int16_t, std::int32_t, bool, std::vector<topic_partition> partitions,
                     std::function<void(std::vector<errc>)> done) override {
    ++writes;
    const auto n = partitions.size();
    _completer.post([done = std::move(done), n] { done(std::vector<errc>(n, errc::success)); });
  }
  std::atomic<int> writes{0};

 private:
  async_completer& _completer;
};

// Retries `op` (which answers through a callback) until it answers something other than
// CONCURRENT_TRANSACTIONS; returns that answer.
template <typename Result>
Result until_settled(const std::function<void(std::function<void(Result)>)>& op,
                     const std::function<error_code(const Result&)>& error_of) {
  for (;;) {
    std::promise<Result> p;
    auto calls = std::make_shared<std::atomic<int>>(0);
    op([&p, calls](Result r) {
      EXPECT_EQ(calls->fetch_add(1), 0) << "answered twice";
      p.set_value(std::move(r));
    });
    Result r = p.get_future().get();
    if (error_of(r) != error_code::concurrent_transactions) return r;
  }
}

TEST(coordinator_concurrency, many_producers_commit_while_the_timer_runs) {
  io::manual_clock clock;
  async_completer completer;
  threaded_log log(completer);
  threaded_markers markers(completer);
  fake_producer_ids ids;
  transaction_coordinator c(coordinator_config{}, log, markers, ids, clock);
  c.resume_after_load();

  std::atomic<bool> stop{false};
  // Time moves, but never as far as the transactions' 900 s timeout.
  const std::int64_t latest = clock.now_ms() + 100'000;
  std::thread timer([&] {
    while (!stop) {
      if (clock.now_ms() < latest) clock.advance(1);
      c.expire_due();
    }
  });

  constexpr int producers = 4;
  constexpr int rounds = 25;
  std::vector<std::thread> threads;
  std::atomic<int> commits{0};
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      const std::string id = "producer-" + std::to_string(p);
      const auto init = until_settled<init_producer_id_result>(
          [&](auto done) { c.init_producer_id({id, 900000, -1, -1}, done); },
          [](const init_producer_id_result& r) { return r.error; });
      ASSERT_EQ(init.error, error_code::none);
      for (int round = 0; round < rounds; ++round) {
        const auto added = until_settled<add_partitions_result>(
            [&](auto done) {
              c.add_partitions({id, init.producer_id, init.producer_epoch, {{"t", round % 3}, {"u", p}}}, done);
            },
            [](const add_partitions_result& r) { return r.error; });
        ASSERT_EQ(added.error, error_code::none);
        const auto ended = until_settled<error_code>(
            [&](auto done) { c.end_transaction({id, init.producer_id, init.producer_epoch, true}, done); },
            [](const error_code& e) { return e; });
        ASSERT_EQ(ended, error_code::none);
        ++commits;
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  timer.join();
  // Let the last markers and completion records land.
  completer.drain();
  EXPECT_EQ(commits.load(), producers * rounds);
  EXPECT_EQ(c.list({"CompleteCommit"}, {}).transactions.size(), std::size_t{producers});
  EXPECT_EQ(markers.writes.load(), producers * rounds);
}

}  // namespace
}  // namespace spate::txn::test
