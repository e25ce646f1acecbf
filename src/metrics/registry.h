#pragma once
// spate::metrics — metric families, their series, and Prometheus' text exposition format 0.0.4.
//
// Two kinds of series:
//  - recorded: a counter, gauge or histogram cell that code on the hot path updates through a
//    pointer resolved once (at start-up, at topic creation, at the first request of an API). An
//    update is one or two relaxed atomic operations: no lock, no allocation, no lookup.
//  - collected: a family whose samples a callback computes when the exposition is rendered (gauges
//    that are cheap to read at scrape time, such as partitions per topic or groups per state, and
//    counters kept by their owners).
//
// Thread-safety: every method is thread-safe. Cells are updated concurrently without locks; creating
// a series and rendering take the family's mutex. Cells live as long as the registry (series are
// never removed), so a resolved pointer stays valid.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "metrics/catalogue.h"

namespace spate::metrics {

class counter {
 public:
  void inc(std::uint64_t n = 1) { _value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return _value.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> _value{0};
};

class gauge {
 public:
  void set(std::int64_t v) { _value.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n) { _value.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return _value.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> _value{0};
};

// Fixed buckets (upper bounds, ascending, +Inf implied). Buckets are stored per bucket (not
// cumulative) and summed at render time; the count is the sum of the buckets, so a scrape never
// shows a count that disagrees with its buckets. The sum is kept in integer units of
// 1/sum_scale (nanoseconds for seconds, bytes for bytes), which makes it exact and lock-free.
class histogram {
 public:
  histogram(std::span<const double> bounds, double sum_scale);

  void observe(double value) {
    std::size_t i = 0;
    while (i < _bounds.size() && value > _bounds[i]) ++i;
    _buckets[i].fetch_add(1, std::memory_order_relaxed);
    if (value > 0) _sum.fetch_add(static_cast<std::uint64_t>(value * _sum_scale), std::memory_order_relaxed);
  }

  std::span<const double> bounds() const { return _bounds; }
  // Per-bucket counts (not cumulative); the last one is the +Inf bucket.
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const { return static_cast<double>(_sum.load(std::memory_order_relaxed)) / _sum_scale; }

 private:
  std::span<const double> _bounds;
  double _sum_scale;
  std::unique_ptr<std::atomic<std::uint64_t>[]> _buckets;
  std::atomic<std::uint64_t> _sum{0};
};

// What a collector callback emits: one sample per call, label values in the family's label order.
class sample_sink {
 public:
  virtual void sample(std::span<const std::string_view> label_values, double value) = 0;
  void sample(std::initializer_list<std::string_view> label_values, double value) {
    sample(std::span<const std::string_view>(label_values.begin(), label_values.size()), value);
  }

 protected:
  ~sample_sink() = default;
};

using collector = std::function<void(sample_sink&)>;

class family {
 public:
  explicit family(const family_spec& spec) : _spec(spec) {}
  family(const family&) = delete;
  family& operator=(const family&) = delete;

  const family_spec& spec() const { return _spec; }

  // The series with these label values (one per label of the spec, in order), created on first
  // use. Cold path: locks and may allocate; keep the returned reference.
  counter& counter_for(std::span<const std::string_view> label_values = {});
  gauge& gauge_for(std::span<const std::string_view> label_values = {});
  histogram& histogram_for(std::span<const std::string_view> label_values = {});
  counter& counter_for(std::initializer_list<std::string_view> v) { return counter_for(as_span(v)); }
  gauge& gauge_for(std::initializer_list<std::string_view> v) { return gauge_for(as_span(v)); }
  histogram& histogram_for(std::initializer_list<std::string_view> v) { return histogram_for(as_span(v)); }

  // Samples computed at render time instead of (or in addition to) recorded series.
  void set_collector(collector c);

  // Appends this family's HELP, TYPE and samples. Nothing when it has no sample.
  void render(std::string& out) const;

 private:
  struct series {
    std::vector<std::string> label_values;
    std::unique_ptr<counter> c;
    std::unique_ptr<gauge> g;
    std::unique_ptr<histogram> h;
  };
  static std::span<const std::string_view> as_span(std::initializer_list<std::string_view> v) {
    return {v.begin(), v.size()};
  }
  series& find_or_add(std::span<const std::string_view> label_values) REQUIRES(_mutex);

  const family_spec& _spec;
  mutable base::mutex _mutex;
  std::deque<series> _series GUARDED_BY(_mutex);  // creation order; rendered sorted by labels
  collector _collector GUARDED_BY(_mutex);
};

class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // Registers the catalogue's family `name` (once; later calls return the same family).
  // Throws std::logic_error for a name that is not in the catalogue.
  family& get(std::string_view name);

  // Names of every registered family, in registration order.
  std::vector<std::string> family_names() const;

  // Prometheus text exposition format 0.0.4 of every family, in catalogue order.
  std::string render_exposition() const;

 private:
  mutable base::mutex _mutex;
  std::deque<family> _families GUARDED_BY(_mutex);
};

// Exposition helpers, exposed for tests.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
std::string format_value(double value);

}  // namespace spate::metrics
