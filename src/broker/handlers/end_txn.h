#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/end_txn.h"

namespace spate::broker {

// EndTxn: commits or aborts the producer's transaction; answered once the decision is durable
// (the markers are written afterwards by the coordinator).
struct end_txn_handler {
  using request = protocol::end_txn_request;
  using response = protocol::end_txn_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
