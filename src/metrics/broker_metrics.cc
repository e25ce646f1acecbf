#include "metrics/broker_metrics.h"

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
      _histogram_cells(new std::atomic<api_histograms*>[keys]) {
  for (std::size_t i = 0; i < keys * versions; ++i) _request_cells[i].store(nullptr, std::memory_order_relaxed);
  for (std::size_t i = 0; i < keys * codes; ++i) _error_cells[i].store(nullptr, std::memory_order_relaxed);
  for (std::size_t i = 0; i < keys; ++i) _histogram_cells[i].store(nullptr, std::memory_order_relaxed);
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
  h.total->observe(seconds(t.queue + t.handle + t.send));
}

void request_metrics::record_error(std::int16_t key, std::int16_t code, std::uint64_t count) {
  if (code == 0 || key < 0 || key > max_api_key || code < min_error_code || code > max_error_code) return;
  error_counter(key, code).inc(count);
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
