#pragma once
// Counts the error codes of a response into spate_request_errors_total: the top-level error_code
// of every response that has one, and the per-partition (per-topic for topic admin APIs) codes of
// the responses whose errors live there: Produce, Fetch, CreateTopics, DeleteTopics. Kafka's
// ErrorsPerSec counts the same way (AbstractResponse.errorCounts).
#include <cstdint>
#include <type_traits>

#include "metrics/broker_metrics.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/delete_topics.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/produce.h"

namespace spate::broker {

template <typename Response>
void count_response_errors(metrics::request_metrics& m, const Response& r) {
  constexpr auto key = static_cast<std::int16_t>(Response::key);
  if constexpr (requires { r.error_code; }) m.record_error(key, r.error_code);
  if constexpr (std::is_same_v<Response, protocol::produce_response>) {
    for (const auto& t : r.responses) {
      for (const auto& p : t.partition_responses) m.record_error(key, p.error_code);
    }
  } else if constexpr (std::is_same_v<Response, protocol::fetch_response>) {
    for (const auto& t : r.responses) {
      for (const auto& p : t.partitions) m.record_error(key, p.error_code);
    }
  } else if constexpr (std::is_same_v<Response, protocol::create_topics_response>) {
    for (const auto& t : r.topics) m.record_error(key, t.error_code);
  } else if constexpr (std::is_same_v<Response, protocol::delete_topics_response>) {
    for (const auto& t : r.responses) m.record_error(key, t.error_code);
  }
}

}  // namespace spate::broker
