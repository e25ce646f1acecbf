#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/offset_for_leader_epoch.h"

namespace spate::broker {

// OffsetForLeaderEpoch: the end offset of a leader epoch, which consumers use to validate their
// position after a leader change (KIP-320). Every partition has had one epoch, 0, since its start
// (leader_epoch.h), so epoch 0 ends at the log end offset, and any other epoch is undefined: -1/-1
// (Kafka's LeaderEpochFileCache.endOffsetFor for an epoch newer than the latest). Errors per
// partition: UNKNOWN_TOPIC_OR_PARTITION, and the current_leader_epoch checks (v2+).
struct offset_for_leader_epoch_handler {
  using request = protocol::offset_for_leader_epoch_request;
  using response = protocol::offset_for_leader_epoch_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
