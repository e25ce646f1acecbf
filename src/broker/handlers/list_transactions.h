#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/list_transactions.h"

namespace spate::broker {

// ListTransactions (KIP-664), with state, producer id and (v1) duration filters.
struct list_transactions_handler {
  using request = protocol::list_transactions_request;
  using response = protocol::list_transactions_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
