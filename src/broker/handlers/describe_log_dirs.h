#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_log_dirs.h"

namespace spate::broker {

// DescribeLogDirs: the broker's one data directory (absolute path), each partition's size on
// disk, offset_lag 0 and is_future false (no replica movement), and (v4) the file system's total
// and usable bytes. A null topic list means every topic; unknown topics are left out, as in Kafka.
struct describe_log_dirs_handler {
  using request = protocol::describe_log_dirs_request;
  using response = protocol::describe_log_dirs_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
