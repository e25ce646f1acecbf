#include "broker/authorization.h"

#include "broker/broker.h"
#include "broker/request_context.h"
#include "security/authorizer.h"

namespace spate::broker {

std::string_view peer_host(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') {
    const auto close = peer.find(']');
    return close == std::string_view::npos ? peer : peer.substr(1, close - 1);
  }
  const auto colon = peer.rfind(':');
  if (colon == std::string_view::npos || peer.find(':') != colon) return peer;
  return peer.substr(0, colon);
}

bool authorized(const request_context& ctx, security::acl_operation operation, security::resource_type type,
                std::string_view name) {
  const auto* authorizer = ctx.services.options().authorizer;
  if (authorizer == nullptr) return true;
  return authorizer->authorize(
      {.principal = ctx.principal, .host = peer_host(ctx.peer), .operation = operation, .type = type, .name = name});
}

}  // namespace spate::broker
