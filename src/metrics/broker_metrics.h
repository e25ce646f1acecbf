#pragma once
// The broker's metrics: every family of the catalogue registered in one registry, with the handles
// the hot paths record through. Net, broker and storage get pointers to the parts they record into;
// a null pointer means metrics are disabled, so recording is skipped by one branch.
//
// Request series (per API and version, per API and error code, latency histograms per API) are
// reached by index: arrays of atomic pointers indexed by API key, version and error code. The
// first request of a kind creates its series (lock + allocation, once); every later one loads the
// pointer (acquire) and increments (relaxed). Unused combinations never appear in the exposition.
//
// Thread-safety: all members are thread-safe.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metrics/registry.h"

namespace spate::metrics {

// Names for label values, used only when a series is created.
struct request_labels {
  std::function<std::string(std::int16_t key)> api_name;
  std::function<std::string(std::int16_t code)> error_name;
};

class request_metrics {
 public:
  static constexpr std::int16_t max_api_key = 127;
  static constexpr std::int16_t max_version = 31;
  static constexpr std::int16_t min_error_code = -1;
  static constexpr std::int16_t max_error_code = 255;

  request_metrics(registry& reg, request_labels labels);
  ~request_metrics();
  request_metrics(const request_metrics&) = delete;
  request_metrics& operator=(const request_metrics&) = delete;

  struct timing {
    std::chrono::nanoseconds queue{0};
    std::chrono::nanoseconds handle{0};
    std::chrono::nanoseconds send{0};
  };
  // One request of (key, version) completed. Keys and versions outside the tables are ignored
  // (the dispatcher rejects them anyway).
  void record_request(std::int16_t key, std::int16_t version, const timing& t);
  // `count` errors `code` (non-zero) in a response of API `key`.
  void record_error(std::int16_t key, std::int16_t code, std::uint64_t count = 1);

  // Read side, for diagnostics (/v1/diag): every API that has served a request, and every
  // (API, error) pair that has been answered, since start-up.
  struct request_summary {
    std::int16_t key = 0;
    std::uint64_t count = 0;
    double mean_seconds = 0;
    double p99_seconds = 0;  // the upper bound of the bucket holding the 99th percentile
    double max_seconds = 0;
  };
  struct error_summary {
    std::int16_t key = 0;
    std::int16_t code = 0;
    std::uint64_t count = 0;
    std::int64_t last_ms = 0;  // wall clock of the latest, ms since the epoch
  };
  std::vector<request_summary> request_summaries() const;
  std::vector<error_summary> error_summaries() const;

 private:
  static constexpr std::size_t keys = max_api_key + 1;
  static constexpr std::size_t versions = max_version + 1;
  static constexpr std::size_t codes = max_error_code - min_error_code + 1;
  struct api_histograms {
    histogram* queue;
    histogram* handle;
    histogram* send;
    histogram* total;
  };
  counter& request_counter(std::int16_t key, std::int16_t version);
  counter& error_counter(std::int16_t key, std::int16_t code);
  const api_histograms& histograms(std::int16_t key);

  request_labels _labels;
  family& _requests;
  family& _errors;
  family& _queue;
  family& _handle;
  family& _send;
  family& _total;
  std::unique_ptr<std::atomic<counter*>[]> _request_cells;           // [key * versions + version]
  std::unique_ptr<std::atomic<counter*>[]> _error_cells;             // [key * codes + code - min_error_code]
  std::unique_ptr<std::atomic<api_histograms*>[]> _histogram_cells;  // [key], owned
  std::unique_ptr<std::atomic<std::int64_t>[]> _max_nanos;           // [key]
  std::unique_ptr<std::atomic<std::int64_t>[]> _error_last_ms;       // like _error_cells
};

// Histograms the partition logs record their group commits into.
struct storage_metrics {
  histogram* fsync_seconds = nullptr;
  histogram* group_commit_batches = nullptr;
};

class broker_metrics {
 public:
  // Registers every family of the catalogue in `reg`.
  broker_metrics(registry& reg, request_labels labels);

  registry& families() { return _registry; }
  request_metrics& requests() { return _requests; }
  const storage_metrics& storage() const { return _storage; }
  // Sets the render-time collector of the catalogue family `name`.
  void collect(std::string_view name, collector c) { _registry.get(name).set_collector(std::move(c)); }

 private:
  registry& _registry;
  request_metrics _requests;
  storage_metrics _storage;
};

}  // namespace spate::metrics
