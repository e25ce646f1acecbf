#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/add_partitions_to_txn.h"

namespace spate::broker {

// AddPartitionsToTxn v0-v3 (the client form; v4+ is Kafka's broker-to-broker verification):
// adds partitions to the producer's open transaction. Partitions that do not exist get
// UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as Kafka answers.
struct add_partitions_to_txn_handler {
  using request = protocol::add_partitions_to_txn_request;
  using response = protocol::add_partitions_to_txn_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
