#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_producers.h"

namespace spate::broker {

// DescribeProducers (KIP-664): the producers a partition holds state for — epoch, last sequence,
// last timestamp, coordinator epoch and the start of an open transaction — as kafka-transactions
// describe-producers shows them. Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION.
struct describe_producers_handler {
  using request = protocol::describe_producers_request;
  using response = protocol::describe_producers_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
