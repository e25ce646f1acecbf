#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/list_offsets.h"

namespace spate::broker {

// ListOffsets: per partition, the offset for a timestamp or a named position:
//   EARLIEST (-2) and EARLIEST_LOCAL (-4)  log start offset
//   LATEST (-1)                            high watermark (== last stable offset: no transactions
//                                          yet); the log end offset for a follower (replica_id >= 0)
//   MAX_TIMESTAMP (-3)                     the record with the largest timestamp (-1/-1 when empty)
//   LATEST_TIERED (-5)                     -1/-1: nothing is tiered
//   any other timestamp                    the first record with a timestamp >= it, below the high
//                                          watermark; none: offset -1, timestamp -1
// v0 answers in its old form (a list of at most max_num_offsets offsets). leader_epoch is this
// broker's 0 for a found offset. Errors per partition: UNKNOWN_TOPIC_OR_PARTITION, the
// current_leader_epoch checks (v4+), KAFKA_STORAGE_ERROR.
struct list_offsets_handler {
  using request = protocol::list_offsets_request;
  using response = protocol::list_offsets_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 10;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
