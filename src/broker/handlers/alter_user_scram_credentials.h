#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/alter_user_scram_credentials.h"

namespace spate::broker {

// AlterUserScramCredentials (KIP-554): deletions and upsertions of SCRAM credentials; the client
// sends salt and salted password, never the password. Written to scram_credentials.json on the
// blocking pool. Until ACLs exist it is allowed on a PLAINTEXT listener (the operator's) or for a
// principal in super.users, else CLUSTER_AUTHORIZATION_FAILED for every user of the request.
struct alter_user_scram_credentials_handler {
  using request = protocol::alter_user_scram_credentials_request;
  using response = protocol::alter_user_scram_credentials_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
