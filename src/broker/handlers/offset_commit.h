#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/offset_commit.h"

namespace spate::broker {

// OffsetCommit: stores consumed positions for a group, answered once durable. v0 commits are simple
// (no generation or member); v1 has per-partition commit timestamps; v2-v4 a retention time; v6+
// leader epochs; v7+ group.instance.id. Partitions that do not exist get
// UNKNOWN_TOPIC_OR_PARTITION and are not committed.
struct offset_commit_handler {
  using request = protocol::offset_commit_request;
  using response = protocol::offset_commit_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 9;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
