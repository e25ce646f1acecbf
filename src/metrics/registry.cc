#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "base/assert.h"

namespace spate::metrics {

histogram::histogram(std::span<const double> bounds, double sum_scale)
    : _bounds(bounds), _sum_scale(sum_scale), _buckets(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds.size(); ++i) _buckets[i].store(0, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::bucket_counts() const {
  std::vector<std::uint64_t> counts(_bounds.size() + 1);
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = _buckets[i].load(std::memory_order_relaxed);
  return counts;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<std::int64_t>(value));
  return fmt::format("{}", value);
}

namespace {

// Sums of nanoseconds for seconds, whole units otherwise.
double sum_scale_for(const family_spec& spec) { return spec.unit == "seconds" ? 1e9 : 1.0; }

// `{a="x",b="y"}` (plus an `extra` pair such as le="0.1"), or "" without labels.
std::string label_text(std::span<const std::string_view> names, std::span<const std::string> values,
                       std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += fmt::format("{}=\"{}\"", names[i], escape_label_value(values[i]));
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += fmt::format("{}=\"{}\"", extra_name, extra_value);
  }
  out += '}';
  return out;
}

class collecting_sink final : public sample_sink {
 public:
  explicit collecting_sink(std::size_t labels) : _labels(labels) {}
  void sample(std::span<const std::string_view> label_values, double value) override {
    SPATE_ASSERT(label_values.size() == _labels, "collector sample with the wrong number of labels");
    samples.push_back({std::vector<std::string>(label_values.begin(), label_values.end()), value});
  }
  struct item {
    std::vector<std::string> labels;
    double value;
  };
  std::vector<item> samples;

 private:
  std::size_t _labels;
};

}  // namespace

family::series& family::find_or_add(std::span<const std::string_view> label_values) {
  if (label_values.size() != _spec.labels.size()) {
    throw std::logic_error(
        fmt::format("metric {}: {} label values for {} labels", _spec.name, label_values.size(), _spec.labels.size()));
  }
  for (auto& s : _series) {
    if (std::equal(s.label_values.begin(), s.label_values.end(), label_values.begin(), label_values.end())) return s;
  }
  series& s = _series.emplace_back();
  s.label_values.assign(label_values.begin(), label_values.end());
  switch (_spec.type) {
    case metric_type::counter: s.c = std::make_unique<counter>(); break;
    case metric_type::gauge: s.g = std::make_unique<gauge>(); break;
    case metric_type::histogram: s.h = std::make_unique<histogram>(_spec.buckets, sum_scale_for(_spec)); break;
  }
  return s;
}

counter& family::counter_for(std::span<const std::string_view> label_values) {
  if (_spec.type != metric_type::counter) throw std::logic_error(fmt::format("metric {} is not a counter", _spec.name));
  base::mutex_lock lock(_mutex);
  return *find_or_add(label_values).c;
}

gauge& family::gauge_for(std::span<const std::string_view> label_values) {
  if (_spec.type != metric_type::gauge) throw std::logic_error(fmt::format("metric {} is not a gauge", _spec.name));
  base::mutex_lock lock(_mutex);
  return *find_or_add(label_values).g;
}

histogram& family::histogram_for(std::span<const std::string_view> label_values) {
  if (_spec.type != metric_type::histogram) {
    throw std::logic_error(fmt::format("metric {} is not a histogram", _spec.name));
  }
  base::mutex_lock lock(_mutex);
  return *find_or_add(label_values).h;
}

void family::set_collector(collector c) {
  base::mutex_lock lock(_mutex);
  _collector = std::move(c);
}

void family::render(std::string& out) const {
  // Snapshot under the lock, format outside it: label values and cell pointers are stable.
  std::vector<const series*> recorded;
  collector collect;
  {
    base::mutex_lock lock(_mutex);
    for (const auto& s : _series) recorded.push_back(&s);
    collect = _collector;
  }
  std::sort(recorded.begin(), recorded.end(),
            [](const series* a, const series* b) { return a->label_values < b->label_values; });
  collecting_sink collected(_spec.labels.size());
  if (collect) collect(collected);
  if (recorded.empty() && collected.samples.empty()) return;

  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", _spec.name, escape_help(_spec.help), _spec.name,
                     type_name(_spec.type));
  for (const series* s : recorded) {
    const auto labels = label_text(_spec.labels, s->label_values);
    switch (_spec.type) {
      case metric_type::counter: out += fmt::format("{}{} {}\n", _spec.name, labels, s->c->value()); break;
      case metric_type::gauge: out += fmt::format("{}{} {}\n", _spec.name, labels, s->g->value()); break;
      case metric_type::histogram: {
        const auto counts = s->h->bucket_counts();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          const std::string le = i < _spec.buckets.size() ? format_value(_spec.buckets[i]) : "+Inf";
          out += fmt::format("{}_bucket{} {}\n", _spec.name, label_text(_spec.labels, s->label_values, "le", le),
                             cumulative);
        }
        out += fmt::format("{}_sum{} {}\n", _spec.name, labels, format_value(s->h->sum()));
        out += fmt::format("{}_count{} {}\n", _spec.name, labels, cumulative);
        break;
      }
    }
  }
  for (const auto& sample : collected.samples) {
    out += fmt::format("{}{} {}\n", _spec.name, label_text(_spec.labels, sample.labels), format_value(sample.value));
  }
}

family& registry::get(std::string_view name) {
  const family_spec* spec = find_family(name);
  if (spec == nullptr) throw std::logic_error(fmt::format("metric {} is not in the catalogue", name));
  base::mutex_lock lock(_mutex);
  for (auto& f : _families) {
    if (&f.spec() == spec) return f;
  }
  return _families.emplace_back(*spec);
}

std::vector<std::string> registry::family_names() const {
  base::mutex_lock lock(_mutex);
  std::vector<std::string> names;
  for (const auto& f : _families) names.emplace_back(f.spec().name);
  return names;
}

std::string registry::render_exposition() const {
  std::vector<const family*> ordered;
  {
    base::mutex_lock lock(_mutex);
    for (const auto& spec : catalogue()) {
      for (const auto& f : _families) {
        if (&f.spec() == &spec) ordered.push_back(&f);
      }
    }
  }
  std::string out;
  for (const family* f : ordered) f->render(out);
  return out;
}

}  // namespace spate::metrics
