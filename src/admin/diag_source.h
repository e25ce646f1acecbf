#pragma once
// Where /v1/diag and `spate diag` get the broker's request diagnostics: the slowest request kinds
// and recent errors by kind. The metrics module implements it; no_diag_source reports nothing.
// Thread-safety: implementations are called from the admin server's thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spate::admin {

struct request_kind_latency {
  std::string kind;  // e.g. "Produce", "Fetch"
  std::uint64_t count = 0;
  double mean_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct error_count {
  std::string kind;   // the request kind the error was answered to
  std::string error;  // Kafka's error name
  std::uint64_t count = 0;
  std::int64_t last_ms = 0;  // wall clock of the latest, ms since the epoch
};

class diag_source {
 public:
  virtual ~diag_source() = default;
  // At most `limit` request kinds, slowest first.
  virtual std::vector<request_kind_latency> slowest_requests(std::size_t limit) const = 0;
  // At most `limit` (kind, error) pairs, most frequent first.
  virtual std::vector<error_count> recent_errors(std::size_t limit) const = 0;
};

class no_diag_source final : public diag_source {
 public:
  std::vector<request_kind_latency> slowest_requests(std::size_t) const override { return {}; }
  std::vector<error_count> recent_errors(std::size_t) const override { return {}; }
};

}  // namespace spate::admin
