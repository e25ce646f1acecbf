#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "broker/request_context.h"
#include "protocol/messages/produce.h"

namespace spate::broker {

// Produce: validates each partition's batch (produce_validation.h), appends it to the partition
// log (offsets and leader epoch stamped in place in the request's own buffer), then — for acks=1
// and acks=-1 alike — awaits durability per the topic's flush policy before answering: every
// partition of the request is appended first and all are awaited together (one group commit, not
// one fsync after another). Fetches parked on a partition are woken once its high watermark has
// moved past the new batch.
//
// acks=0 gets no response (std::nullopt); if a partition failed, the connection is closed instead,
// as Kafka does, so the producer notices and refreshes its metadata. Other acks values:
// INVALID_REQUIRED_ACKS. Clients may not write to internal topics: INVALID_TOPIC_EXCEPTION.
// timeout_ms is not enforced: the only wait is the local fsync. Producer ids, epochs and sequences
// are checked by the partition log as it appends (storage/producer_state.h) and stored as sent.
struct produce_handler {
  using request = protocol::produce_request;
  using response = protocol::produce_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 11;
  static boost::asio::awaitable<std::optional<response>> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
