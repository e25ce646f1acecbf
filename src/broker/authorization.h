#pragma once
// The one way a handler asks whether its request may act on a resource: the broker's authorizer
// (security/authorizer.h) applied to the request's principal and client host. Without an
// authorizer (`authorizer.enabled=false`) everything is allowed, as in Kafka without
// `authorizer.class.name`.
#include <cstdint>
#include <string_view>

#include "security/acl.h"

namespace spate::broker {

struct request_context;

// Whether ctx's principal, from ctx's peer host, may do `operation` on the resource.
bool authorized(const request_context& ctx, security::acl_operation operation, security::resource_type type,
                std::string_view name);

// The client's host (an IP address as text) from a peer "ip:port" or "[ipv6]:port"; the text
// unchanged when it has no port (in-process callers).
std::string_view peer_host(std::string_view peer);

}  // namespace spate::broker
