#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/add_offsets_to_txn.h"

namespace spate::broker {

// AddOffsetsToTxn: adds the group's __consumer_offsets partition to the producer's transaction,
// so that its TxnOffsetCommits commit or abort with it.
struct add_offsets_to_txn_handler {
  using request = protocol::add_offsets_to_txn_request;
  using response = protocol::add_offsets_to_txn_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
