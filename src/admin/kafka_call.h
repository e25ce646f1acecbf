#pragma once
// The one place the admin API writes: it builds a Kafka request (protocol's generated types) and
// awaits the same handler the Kafka listener runs for it, so validation and error codes are the
// Kafka APIs' own. The handler runs on the admin server's executor as if from a client with
// client id "spate-admin"; for a caller that admin.authentication verified, as its principal from
// its address, so the same ACLs apply as over Kafka (without admin.authentication the caller is the
// operator on a trusted address, and no ACL applies to it).
#include <cstdint>
#include <string_view>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "admin/http_message.h"
#include "broker/request_context.h"
#include "protocol/messages/request_header.h"

namespace spate::broker {
class broker;
}

namespace spate::admin {

template <typename Handler>
boost::asio::awaitable<typename Handler::response> kafka_call(broker::broker& services,
                                                              boost::asio::any_io_executor executor,
                                                              const http_request& caller,
                                                              typename Handler::request request,
                                                              std::int16_t version = Handler::max_version) {
  protocol::request_header header;
  header.request_api_key = static_cast<std::int16_t>(Handler::request::key);
  header.request_api_version = version;
  header.correlation_id = 0;
  header.client_id = "spate-admin";
  const std::string_view peer = caller.peer.empty() ? std::string_view("admin") : std::string_view(caller.peer);
  broker::request_context ctx{services, header, version, peer, std::move(executor)};
  if (caller.authenticated) ctx.principal = caller.principal;
  ctx.operator_call = !caller.authenticated;
  co_return co_await Handler::handle(ctx, std::move(request));
}

}  // namespace spate::admin
