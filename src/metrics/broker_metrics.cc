#include "metrics/broker_metrics.h"

#include <algorithm>
#include <string_view>

namespace spate::metrics {
namespace {

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

request_metrics::request_metrics(registry& reg, request_labels labels)
    : _labels(std::move(labels)),
      _requests(reg.get(names::requests_total)),
      _errors(reg.get(names::request_errors_total)),
      _queue(reg.get(names::request_queue_seconds)),
      _handle(reg.get(names::request_handle_seconds)),
      _send(reg.get(names::request_send_seconds)),
      _total(reg.get(names::request_duration_seconds)),
      _request_cells(new std::atomic<counter*>[keys * versions]),
      _error_cells(new std::atomic<counter*>[keys * codes]),
      _histogram_cells(new std::atomic<api_histograms*>[keys]),
      _max_nanos(new std::atomic<std::int64_t>[keys]),
      _error_last_ms(new std::atomic<std::int64_t>[keys * codes]) {
  for (std::size_t i = 0; i < keys * versions; ++i) _request_cells[i].store(nullptr, std::memory_order_relaxed);
  for (std::size_t i = 0; i < keys * codes; ++i) _error_cells[i].store(nullptr, std::memory_order_relaxed);
  for (std::size_t i = 0; i < keys; ++i) _histogram_cells[i].store(nullptr, std::memory_order_relaxed);
  for (std::size_t i = 0; i < keys; ++i) _max_nanos[i].store(0, std::memory_order_relaxed);
  for (std::size_t i = 0; i < keys * codes; ++i) _error_last_ms[i].store(0, std::memory_order_relaxed);
}

request_metrics::~request_metrics() {
  for (std::size_t i = 0; i < keys; ++i) delete _histogram_cells[i].load(std::memory_order_relaxed);
}

counter& request_metrics::request_counter(std::int16_t key, std::int16_t version) {
  auto& cell = _request_cells[static_cast<std::size_t>(key) * versions + static_cast<std::size_t>(version)];
  if (counter* c = cell.load(std::memory_order_acquire)) return *c;
  // First request of this kind: the family returns the same series to every racing caller.
  const std::string api = _labels.api_name(key);
  const std::string v = std::to_string(version);
  counter& c = _requests.counter_for({api, v});
  cell.store(&c, std::memory_order_release);
  return c;
}

counter& request_metrics::error_counter(std::int16_t key, std::int16_t code) {
  auto& cell = _error_cells[static_cast<std::size_t>(key) * codes + static_cast<std::size_t>(code - min_error_code)];
  if (counter* c = cell.load(std::memory_order_acquire)) return *c;
  const std::string api = _labels.api_name(key);
  const std::string error = _labels.error_name(code);
  counter& c = _errors.counter_for({api, error});
  cell.store(&c, std::memory_order_release);
  return c;
}

const request_metrics::api_histograms& request_metrics::histograms(std::int16_t key) {
  auto& cell = _histogram_cells[static_cast<std::size_t>(key)];
  if (const api_histograms* h = cell.load(std::memory_order_acquire)) return *h;
  const std::string api = _labels.api_name(key);
  auto* created = new api_histograms{&_queue.histogram_for({api}), &_handle.histogram_for({api}),
                                     &_send.histogram_for({api}), &_total.histogram_for({api})};
  api_histograms* expected = nullptr;
  if (!cell.compare_exchange_strong(expected, created, std::memory_order_acq_rel)) {
    delete created;  // another thread won; its set points at the same series
    return *expected;
  }
  return *created;
}

void request_metrics::record_request(std::int16_t key, std::int16_t version, const timing& t) {
  if (key < 0 || key > max_api_key || version < 0 || version > max_version) return;
  request_counter(key, version).inc();
  const api_histograms& h = histograms(key);
  h.queue->observe(seconds(t.queue));
  h.handle->observe(seconds(t.handle));
  h.send->observe(seconds(t.send));
  const auto total = t.queue + t.handle + t.send;
  h.total->observe(seconds(total));
  auto& max = _max_nanos[static_cast<std::size_t>(key)];
  std::int64_t seen = max.load(std::memory_order_relaxed);
  while (total.count() > seen && !max.compare_exchange_weak(seen, total.count(), std::memory_order_relaxed)) {
  }
}

void request_metrics::record_error(std::int16_t key, std::int16_t code, std::uint64_t count) {
  if (code == 0 || key < 0 || key > max_api_key || code < min_error_code || code > max_error_code) return;
  error_counter(key, code).inc(count);
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  _error_last_ms[static_cast<std::size_t>(key) * codes + static_cast<std::size_t>(code - min_error_code)].store(
      now.count(), std::memory_order_relaxed);
}

std::vector<request_metrics::request_summary> request_metrics::request_summaries() const {
  std::vector<request_summary> out;
  for (std::size_t key = 0; key < keys; ++key) {
    const api_histograms* h = _histogram_cells[key].load(std::memory_order_acquire);
    if (!h) continue;
    const auto buckets = h->total->bucket_counts();
    std::uint64_t count = 0;
    for (auto b : buckets) count += b;
    if (count == 0) continue;
    request_summary s;
    s.key = static_cast<std::int16_t>(key);
    s.count = count;
    s.mean_seconds = h->total->sum() / static_cast<double>(count);
    s.max_seconds = seconds(std::chrono::nanoseconds(_max_nanos[key].load(std::memory_order_relaxed)));
    // The 99th percentile's bucket bound; in the +Inf bucket the maximum is the honest bound.
    const auto bounds = h->total->bounds();
    std::uint64_t below = 0;
    s.p99_seconds = s.max_seconds;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      below += buckets[i];
      if (static_cast<double>(below) >= 0.99 * static_cast<double>(count)) {
        s.p99_seconds = std::min(bounds[i], s.max_seconds);
        break;
      }
    }
    out.push_back(s);
  }
  return out;
}

std::vector<request_metrics::error_summary> request_metrics::error_summaries() const {
  std::vector<error_summary> out;
  for (std::size_t i = 0; i < keys * codes; ++i) {
    const counter* c = _error_cells[i].load(std::memory_order_acquire);
    if (!c || c->value() == 0) continue;
    out.push_back({.key = static_cast<std::int16_t>(i / codes),
                   .code = static_cast<std::int16_t>(static_cast<std::int64_t>(i % codes) + min_error_code),
                   .count = c->value(),
                   .last_ms = _error_last_ms[i].load(std::memory_order_relaxed)});
  }
  return out;
}

broker_metrics::broker_metrics(registry& reg, request_labels labels)
    : _registry(reg), _requests(reg, std::move(labels)) {
  _storage.fsync_seconds = &reg.get(names::storage_fsync_seconds).histogram_for({});
  _storage.group_commit_batches = &reg.get(names::storage_group_commit_batches).histogram_for({});
  // The rest are collected at render time; registering them here keeps the exposition's family
  // set equal to the catalogue (tests/metrics checks it).
  for (const auto& spec : catalogue()) reg.get(spec.name);
}

}  // namespace spate::metrics
