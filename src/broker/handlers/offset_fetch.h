#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/offset_fetch.h"

namespace spate::broker {

// OffsetFetch: a group's committed offsets. v0-v7 ask about one group (v2+: a null topic list
// means every committed offset, and group errors are top-level; v0-v1 report them per
// partition); v8+ batch groups with an error each. v7+ may require stable offsets (partitions
// with commits still being written answer UNSTABLE_OFFSET_COMMIT). Partitions without a
// committed offset answer offset -1 and empty metadata, as Kafka does.
struct offset_fetch_handler {
  using request = protocol::offset_fetch_request;
  using response = protocol::offset_fetch_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 9;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
