#include "broker/authorization.h"

#include "base/log.h"
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
                std::string_view name, on_denial report) {
  const auto* authorizer = ctx.services.options().authorizer;
  if (authorizer == nullptr || ctx.operator_call) return true;
  const auto host = peer_host(ctx.peer);
  if (authorizer->authorize(
          {.principal = ctx.principal, .host = host, .operation = operation, .type = type, .name = name})) {
    return true;
  }
  // Debug, not warn: a client retrying a denied request would fill the log. Denials are counted
  // by the request error counters (spate_request_errors_total, by error code).
  if (report == on_denial::log) {
    SPATE_LOG_DEBUG("event=authorization_denied principal={} host={} operation={} resource_type={} resource={} api={}",
                    ctx.principal, host, security::to_string(operation), security::to_string(type), name,
                    ctx.header.request_api_key);
  }
  return false;
}

bool authorized_for_any(const request_context& ctx, security::acl_operation operation, security::resource_type type) {
  const auto* authorizer = ctx.services.options().authorizer;
  if (authorizer == nullptr || ctx.operator_call) return true;
  const auto host = peer_host(ctx.peer);
  if (authorizer->authorize_any({.principal = ctx.principal, .host = host, .operation = operation, .type = type})) {
    return true;
  }
  SPATE_LOG_DEBUG("event=authorization_denied principal={} host={} operation={} resource_type={} resource=any api={}",
                  ctx.principal, host, security::to_string(operation), security::to_string(type),
                  ctx.header.request_api_key);
  return false;
}

}  // namespace spate::broker
