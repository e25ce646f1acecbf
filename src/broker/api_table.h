#pragma once
// The one list of APIs the broker serves: key, versions, handler, and the clients whose end-to-end
// tests exercise it. ApiVersions answers from it and docs/compatibility.md is generated from it,
// so what we advertise, what we implement and what we document cannot drift apart.
#include <cstdint>
#include <span>
#include <string_view>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/handler.h"

namespace spate::broker {

struct served_api {
  protocol::api_key key;
  std::int16_t min_version;
  std::int16_t max_version;
  std::string_view tested_with;
  boost::asio::awaitable<response_frame> (*invoke)(request_context&, protocol::reader& body);
};

// Ordered by API key.
std::span<const served_api> served_apis();

// nullptr when the key is not served.
const served_api* find_served_api(std::int16_t key);

// docs/compatibility.md: every API key Kafka defines in our schemas, the versions we serve, and the
// clients tested against it.
std::string compatibility_markdown();

}  // namespace spate::broker
