#include "lag/monitor.h"

#include <time.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "base/log.h"

namespace spate::lag {

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

struct monitor::impl {
  monitor_config config;
  std::unique_ptr<source> facts_source;
  wall_clock now;
  evaluator evaluation;
  std::unique_ptr<history_store> store;  // null: history disabled
  std::unique_ptr<alert_notifier> alerts;

  // Guards the published view and the stats; held only to swap or copy them.
  mutable std::mutex published_mutex;
  std::shared_ptr<const cluster_view> view = std::make_shared<const cluster_view>();
  monitor_stats counters;

  // The sampling thread and its stop signal.
  std::mutex run_mutex;
  std::condition_variable run_cv;
  bool stopping = false;
  std::thread thread;

  impl(monitor_config c, std::unique_ptr<source> s, wall_clock clock)
      : config(std::move(c)), facts_source(std::move(s)), now(std::move(clock)), evaluation(config.evaluation) {
    auto empty = std::make_shared<cluster_view>();
    empty->cluster = config.cluster;
    view = std::move(empty);
    if (!config.alerts.webhook_url.empty()) alerts = std::make_unique<alert_notifier>(config.alerts);
    if (!config.history) return;
    std::string error;
    store = history_store::open(*config.history, error);
    if (!store) {
      SPATE_LOG_ERROR("lag history disabled cluster={} error=\"{}\"", config.cluster, error);
      counters.history_error = error;
      return;
    }
    const millis window_ms = config.sample_interval_ms * config.evaluation.window_ticks;
    evaluation.restore(store->restore(config.cluster, now(), window_ms));
  }

  void tick() {
    const double cpu_start = thread_cpu_ms();
    const millis at = now();
    cluster_facts facts = facts_source->sample(at);
    facts.cluster = config.cluster;
    if (facts.taken_at_ms == 0) facts.taken_at_ms = at;
    tick_result result = evaluation.update(facts);
    std::string history_error;
    if (store) {
      bool written = true;
      if (!facts.error.empty()) {
        written = store->record_gap(config.cluster, facts.taken_at_ms, facts.error, history_error);
      } else {
        written = store->record(result, history_error);
      }
      if (!written) {
        SPATE_LOG_WARN("lag history write failed cluster={} error=\"{}\"", config.cluster, history_error);
      }
      store->housekeep(at);
    }
    if (alerts) alerts->on_tick(result);
    auto published = std::make_shared<const cluster_view>(std::move(result.view));
    const double cpu_ms = thread_cpu_ms() - cpu_start;
    std::lock_guard lock(published_mutex);
    view = std::move(published);
    ++counters.ticks;
    counters.last_tick_ms = at;
    counters.last_tick_cpu_ms = cpu_ms;
    if (store) {
      counters.history_bytes = store->file_bytes();
      counters.history_error = history_error;
    }
  }

  void run() {
    auto next = std::chrono::steady_clock::now();
    const auto interval = std::chrono::milliseconds(config.sample_interval_ms);
    std::unique_lock lock(run_mutex);
    while (!stopping) {
      lock.unlock();
      try {
        tick();
      } catch (const std::exception& e) {
        // A source or store bug must not take the broker down; the next tick tries again.
        SPATE_LOG_ERROR("lag monitor tick failed cluster={} error=\"{}\"", config.cluster, e.what());
      }
      lock.lock();
      // A fixed cadence: a slow tick shortens the wait instead of drifting the schedule.
      next += interval;
      const auto now_steady = std::chrono::steady_clock::now();
      if (next < now_steady) next = now_steady;
      run_cv.wait_until(lock, next, [this] { return stopping; });
    }
  }
};

monitor::monitor(monitor_config config, std::unique_ptr<source> facts_source, wall_clock now)
    : _impl(std::make_unique<impl>(std::move(config), std::move(facts_source), std::move(now))) {}

monitor::~monitor() { stop(); }

void monitor::start() {
  std::lock_guard lock(_impl->run_mutex);
  if (_impl->thread.joinable()) return;
  _impl->stopping = false;
  _impl->thread = std::thread([this] { _impl->run(); });
}

void monitor::stop() {
  {
    std::lock_guard lock(_impl->run_mutex);
    if (!_impl->thread.joinable()) return;
    _impl->stopping = true;
  }
  _impl->run_cv.notify_all();
  _impl->thread.join();
}

void monitor::tick() { _impl->tick(); }

const std::string& monitor::cluster() const { return _impl->config.cluster; }
millis monitor::sample_interval_ms() const { return _impl->config.sample_interval_ms; }

std::shared_ptr<const cluster_view> monitor::current() const {
  std::lock_guard lock(_impl->published_mutex);
  return _impl->view;
}

namespace {

// Readers open their own connection per call: a request every few seconds does not justify a
// pool, and SQLite opens a WAL database in well under a millisecond.
std::unique_ptr<history_reader> open_reader(const std::optional<store_config>& history) {
  if (!history) return nullptr;
  std::string error;
  return history_reader::open(history->file, error);
}

}  // namespace

std::vector<history_point> monitor::history(const history_query& query) const {
  auto reader = _impl->store ? open_reader(_impl->config.history) : nullptr;
  if (!reader) return {};
  auto q = query;
  q.cluster = _impl->config.cluster;
  return reader->samples(q);
}

std::vector<transition> monitor::transitions(const transition_query& query) const {
  auto reader = _impl->store ? open_reader(_impl->config.history) : nullptr;
  if (!reader) return {};
  auto q = query;
  q.cluster = _impl->config.cluster;
  return reader->transitions(q);
}

std::vector<history_gap> monitor::gaps(millis from_ms, millis to_ms) const {
  auto reader = _impl->store ? open_reader(_impl->config.history) : nullptr;
  if (!reader) return {};
  return reader->gaps(_impl->config.cluster, from_ms, to_ms);
}

monitor_stats monitor::stats() const {
  std::lock_guard lock(_impl->published_mutex);
  return _impl->counters;
}

alert_stats monitor::alerts() const { return _impl->alerts ? _impl->alerts->stats() : alert_stats{}; }

}  // namespace spate::lag
