#pragma once
// Counts the error codes of a response into spate_request_errors_total: the top-level error_code
// of every response that has one, and the per-partition (per-topic for topic admin APIs) codes of
// the responses whose errors live there: Produce, Fetch, CreateTopics, DeleteTopics. Kafka's
// ErrorsPerSec counts the same way (AbstractResponse.errorCounts). Declarations only, so the
// header every handler includes stays light; the counting is in response_errors.cc.
#include <cstdint>

namespace spate::metrics {
class request_metrics;
}
namespace spate::protocol {
struct produce_response;
struct fetch_response;
struct create_topics_response;
struct delete_topics_response;
}  // namespace spate::protocol

namespace spate::broker {

void count_error(metrics::request_metrics& m, std::int16_t key, std::int16_t code);

// The responses whose errors live per partition or per topic; any other has none nested.
void count_nested_errors(metrics::request_metrics& m, const protocol::produce_response& r);
void count_nested_errors(metrics::request_metrics& m, const protocol::fetch_response& r);
void count_nested_errors(metrics::request_metrics& m, const protocol::create_topics_response& r);
void count_nested_errors(metrics::request_metrics& m, const protocol::delete_topics_response& r);
template <typename Response>
void count_nested_errors(metrics::request_metrics& /*m*/, const Response& /*r*/) {}

template <typename Response>
void count_response_errors(metrics::request_metrics& m, const Response& r) {
  constexpr auto key = static_cast<std::int16_t>(Response::key);
  if constexpr (requires { r.error_code; }) {
    if (r.error_code != 0) count_error(m, key, r.error_code);
  }
  count_nested_errors(m, r);
}

}  // namespace spate::broker
