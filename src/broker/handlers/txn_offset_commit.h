#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/txn_offset_commit.h"

namespace spate::broker {

// TxnOffsetCommit: a consumer group's offsets committed inside a transaction, visible to
// OffsetFetch only once the transaction commits (group/coordinator.h).
struct txn_offset_commit_handler {
  using request = protocol::txn_offset_commit_request;
  using response = protocol::txn_offset_commit_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
