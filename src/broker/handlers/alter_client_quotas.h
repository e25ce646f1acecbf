#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/alter_client_quotas.h"

namespace spate::broker {

// AlterClientQuotas (KIP-546): sets or removes quota values of user and client-id entities (a name
// or the default), validated as Kafka validates them (INVALID_REQUEST with Kafka's message), and
// persists the table before answering (quota/client_quotas.h). Each entry is answered on its own;
// the valid ones are applied together. `ip` entities (connection rates) are not supported.
struct alter_client_quotas_handler {
  using request = protocol::alter_client_quotas_request;
  using response = protocol::alter_client_quotas_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
