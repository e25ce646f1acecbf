#pragma once
// The one way a handler asks whether its request may act on a resource: the broker's authorizer
// (security/authorizer.h) applied to the request's principal and client host. Without an
// authorizer (`authorizer.enabled=false`) everything is allowed, as in Kafka without
// `authorizer.class.name`; so is everything for the HTTP admin API's in-process calls
// (request_context::operator_call).
#include <cstdint>
#include <string_view>

#include "security/acl.h"

namespace spate::broker {

struct request_context;

// Whether a denial is logged (at debug, one line): `log` when the request asked to act on the
// resource, `quiet` when the question only filters what a listing shows (Kafka's logIfDenied).
enum class on_denial : std::uint8_t { log, quiet };

// Whether ctx's principal, from ctx's peer host, may do `operation` on the resource.
bool authorized(const request_context& ctx, security::acl_operation operation, security::resource_type type,
                std::string_view name, on_denial report = on_denial::log);

// Whether ctx's principal may do `operation` on some resource of `type` (KIP-679's
// authorizeByResourceType: an idempotent producer needs WRITE on any topic).
bool authorized_for_any(const request_context& ctx, security::acl_operation operation, security::resource_type type);

// The client's host (an IP address as text) from a peer "ip:port" or "[ipv6]:port"; the text
// unchanged when it has no port (in-process callers).
std::string_view peer_host(std::string_view peer);

}  // namespace spate::broker
