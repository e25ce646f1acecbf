#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/delete_groups.h"

namespace spate::broker {

// DeleteGroups: removes empty groups and their committed offsets (NON_EMPTY_GROUP while members
// remain, GROUP_ID_NOT_FOUND for unknown groups).
struct delete_groups_handler {
  using request = protocol::delete_groups_request;
  using response = protocol::delete_groups_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
