#include "app/request_diag.h"

#include <algorithm>
#include <string>

#include "metrics/broker_metrics.h"
#include "protocol/api_key.h"
#include "protocol/error_code.h"

namespace spate::app {
namespace {

std::string api_name(std::int16_t key) { return std::string(protocol::api_name(static_cast<protocol::api_key>(key))); }

class request_diag final : public admin::diag_source {
 public:
  explicit request_diag(const metrics::request_metrics& requests) : _requests(requests) {}

  std::vector<admin::request_kind_latency> slowest_requests(std::size_t limit) const override {
    auto summaries = _requests.request_summaries();
    // Slowest by p99, then by mean: a long-poll Fetch ranks where its waits put it, which is
    // what an operator reading "slow" needs to know about too.
    std::sort(summaries.begin(), summaries.end(), [](const auto& a, const auto& b) {
      return a.p99_seconds != b.p99_seconds ? a.p99_seconds > b.p99_seconds : a.mean_seconds > b.mean_seconds;
    });
    std::vector<admin::request_kind_latency> out;
    for (const auto& s : summaries) {
      if (out.size() == limit) break;
      out.push_back({.kind = api_name(s.key),
                     .count = s.count,
                     .mean_ms = s.mean_seconds * 1e3,
                     .p99_ms = s.p99_seconds * 1e3,
                     .max_ms = s.max_seconds * 1e3});
    }
    return out;
  }

  std::vector<admin::error_count> recent_errors(std::size_t limit) const override {
    auto summaries = _requests.error_summaries();
    std::sort(summaries.begin(), summaries.end(), [](const auto& a, const auto& b) {
      return a.count != b.count ? a.count > b.count : a.last_ms > b.last_ms;
    });
    std::vector<admin::error_count> out;
    for (const auto& s : summaries) {
      if (out.size() == limit) break;
      out.push_back({.kind = api_name(s.key),
                     .error = std::string(protocol::error_name(static_cast<protocol::error_code>(s.code))),
                     .count = s.count,
                     .last_ms = s.last_ms});
    }
    return out;
  }

 private:
  const metrics::request_metrics& _requests;
};

}  // namespace

std::shared_ptr<const admin::diag_source> request_diag_source(const metrics::request_metrics& requests) {
  return std::make_shared<request_diag>(requests);
}

}  // namespace spate::app
