#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "base/bytes.h"
#include "broker/request_context.h"
#include "protocol/messages/api_versions.h"

namespace spate::broker {

// ApiVersions: the served API table, as clients negotiate versions from it.
struct api_versions_handler {
  using request = protocol::api_versions_request;
  using response = protocol::api_versions_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);

  // Kafka's answer to an ApiVersions request of a version newer than ours (KIP-511): a version-0
  // response with UNSUPPORTED_VERSION that lists ApiVersions' own range, so the client can retry.
  static base::byte_buffer unsupported_version_frame(std::int32_t correlation_id);
};

}  // namespace spate::broker
