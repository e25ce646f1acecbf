#include "broker/response_errors.h"

#include "metrics/broker_metrics.h"
#include "protocol/messages/create_topics.h"
#include "protocol/messages/delete_topics.h"
#include "protocol/messages/fetch.h"
#include "protocol/messages/produce.h"

namespace spate::broker {
namespace {

template <typename Response>
constexpr std::int16_t key_of() {
  return static_cast<std::int16_t>(Response::key);
}

}  // namespace

void count_error(metrics::request_metrics& m, std::int16_t key, std::int16_t code) { m.record_error(key, code); }

void count_nested_errors(metrics::request_metrics& m, const protocol::produce_response& r) {
  for (const auto& t : r.responses) {
    for (const auto& p : t.partition_responses) m.record_error(key_of<protocol::produce_response>(), p.error_code);
  }
}

void count_nested_errors(metrics::request_metrics& m, const protocol::fetch_response& r) {
  for (const auto& t : r.responses) {
    for (const auto& p : t.partitions) m.record_error(key_of<protocol::fetch_response>(), p.error_code);
  }
}

void count_nested_errors(metrics::request_metrics& m, const protocol::create_topics_response& r) {
  for (const auto& t : r.topics) m.record_error(key_of<protocol::create_topics_response>(), t.error_code);
}

void count_nested_errors(metrics::request_metrics& m, const protocol::delete_topics_response& r) {
  for (const auto& t : r.responses) m.record_error(key_of<protocol::delete_topics_response>(), t.error_code);
}

}  // namespace spate::broker
