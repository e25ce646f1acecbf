#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_user_scram_credentials.h"

namespace spate::broker {

// DescribeUserScramCredentials (KIP-554): the SCRAM mechanisms and iterations of the named users
// (all users when none is named); never a salt or a salted password. RESOURCE_NOT_FOUND for a user
// without credentials, DUPLICATE_RESOURCE for a user named twice.
struct describe_user_scram_credentials_handler {
  using request = protocol::describe_user_scram_credentials_request;
  using response = protocol::describe_user_scram_credentials_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
