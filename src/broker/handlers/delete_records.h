#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/delete_records.h"

namespace spate::broker {

// DeleteRecords: moves each partition's log start offset up to the requested offset (-1: the high
// watermark) and answers with the new start (low_watermark), persisted before the answer. An
// offset beyond the high watermark is OFFSET_OUT_OF_RANGE.
struct delete_records_handler {
  using request = protocol::delete_records_request;
  using response = protocol::delete_records_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
