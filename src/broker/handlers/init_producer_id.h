#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/init_producer_id.h"

namespace spate::broker {

// InitProducerId: a producer id and epoch for an idempotent producer (no transactional id: a fresh
// id every time), or for a transactional id (txn/transaction_coordinator.h: epoch bumps, fencing
// of an older instance, KIP-360 re-initialisation with the current id and epoch from v3).
struct init_producer_id_handler {
  using request = protocol::init_producer_id_request;
  using response = protocol::init_producer_id_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
