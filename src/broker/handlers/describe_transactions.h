#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_transactions.h"

namespace spate::broker {

// DescribeTransactions (KIP-664): state, producer id and epoch, timeout, start time and
// partitions of each transactional id.
struct describe_transactions_handler {
  using request = protocol::describe_transactions_request;
  using response = protocol::describe_transactions_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
