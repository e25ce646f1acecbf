#include "admin/admin_server.h"

#include <optional>

#include <fmt/format.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "admin/api_routes.h"
#include "admin/basic_auth.h"
#include "admin/errors.h"
#include "admin/http_server.h"
#include "base/log.h"
#include "base/log_limit.h"
#include "broker/authorization.h"
#include "broker/request_context.h"
#include "protocol/messages/request_header.h"
#include "security/principal.h"
#include "security/principal_mapping.h"

namespace spate::admin {

struct admin_server::impl {
  admin_options options;
  route_table table;
  api_context ctx;
  http_server server;

  impl(admin_options o, const broker_view* view, broker::broker* services)
      : options(std::move(o)),
        ctx{view, services, options, {}, {}, &table},
        server({options.host, options.port, options.request_timeout, options.max_body_bytes, options.max_connections,
                options.tls},
               [this](http_request request) { return dispatch(std::move(request)); }) {
    ctx.admin_address = [this] { return address(); };
    ctx.executor = [this] { return server.executor(); };
    if (view != nullptr) {
      add_health_routes(table, ctx);
      add_status_routes(table, ctx);
      add_topic_routes(table, ctx);
      add_group_routes(table, ctx);
      add_quota_routes(table, ctx);
    }
    if (!options.lag_monitors.empty()) {
      add_lag_routes(table, ctx);
      add_burrow_routes(table, ctx);
    }
    add_common_routes(table, ctx);
  }

  std::string address() const {
    const bool v6 = options.host.find(':') != std::string::npos;
    return v6 ? fmt::format("[{}]:{}", options.host, server.bound_port())
              : fmt::format("{}:{}", options.host, server.bound_port());
  }

  // Liveness and readiness stay open to orchestrators' probes: they tell nothing but up/ready.
  static bool open_to_probes(const http_request& request) { return request.path.starts_with("/v1/health/"); }

  // Under admin.authentication=mtls: the client certificate's mapped subject, or 401 when no rule
  // maps it (as Kafka fails such an SSL authentication).
  std::optional<http_response> authenticate_certificate(http_request& request) const {
    std::string reason = "no client certificate";
    if (request.client_certificate_subject) {
      auto mapped = options.certificate_principals->map(*request.client_certificate_subject);
      if (mapped) {
        request.principal = fmt::format("{}:{}", security::user_type, mapped.value());
        request.authenticated = true;
        return std::nullopt;
      }
      reason = "no ssl.principal.mapping.rules rule matches " + *request.client_certificate_subject;
    }
    SPATE_LOG_WARN_RATE_LIMITED("event=admin_authentication_failed peer={} reason=\"{}\"", request.peer, reason);
    return error_response(401, authentication_failed,
                          "authentication required: a client certificate that maps to a principal");
  }

  // 401 after the peer's failure delay, or nullopt (request.principal set when authenticated).
  boost::asio::awaitable<std::optional<http_response>> authenticate(http_request& request) {
    if (open_to_probes(request)) co_return std::nullopt;
    if (options.certificate_principals) co_return authenticate_certificate(request);
    if (!options.authentication) co_return std::nullopt;
    auto result = options.authentication->authenticate(request.authorization, broker::peer_host(request.peer),
                                                       std::chrono::steady_clock::now());
    if (result.principal) {
      request.principal = std::move(*result.principal);
      request.authenticated = true;
      co_return std::nullopt;
    }
    SPATE_LOG_WARN_RATE_LIMITED("event=admin_authentication_failed peer={} reason=\"{}\" delay_ms={}", request.peer,
                                result.failure_reason, result.delay.count());
    if (result.delay.count() > 0) {
      boost::asio::steady_timer timer(server.executor(), result.delay);
      boost::system::error_code ignored;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
    // One generic message: the client never learns whether the user exists.
    auto response = error_response(401, authentication_failed,
                                   "authentication required: HTTP Basic credentials of "
                                   "a SCRAM user were missing or wrong");
    response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"spate\"");
    co_return response;
  }

  // Reads show the cluster's state without a Kafka API to authorize them, so an authenticated caller
  // needs DESCRIBE on CLUSTER (as DescribeCluster does); writes are authorized by the Kafka handler
  // they call. Without admin.authentication the caller is the operator (no ACL applies), and a
  // lag-only server has no authorizer.
  bool may_read(const http_request& request) const {
    if (!request.authenticated || ctx.services == nullptr || open_to_probes(request)) return true;
    const protocol::request_header header;
    broker::request_context rc{*ctx.services, header, 0, request.peer, server.executor()};
    rc.principal = request.principal;
    return broker::authorized(rc, security::acl_operation::describe, security::resource_type::cluster,
                              security::cluster_resource_name);
  }

  boost::asio::awaitable<http_response> dispatch(http_request request) {
    if (auto refused = co_await authenticate(request)) co_return std::move(*refused);
    const auto found = table.match(request);
    if (found.result == route_table::outcome::not_found) {
      co_return error_response(404, not_found, "no route " + request.method + " " + request.path);
    }
    if (found.result == route_table::outcome::method_not_allowed) {
      auto response = error_response(405, method_not_allowed, request.method + " is not allowed on " + request.path);
      std::string allow;
      for (const auto& m : found.allowed) allow += (allow.empty() ? "" : ", ") + m;
      response.headers.emplace_back("Allow", allow);
      co_return response;
    }
    if (found.matched->method == "GET" && !may_read(request)) {
      SPATE_LOG_INFO("event=admin_request_denied peer={} principal={} path={}", request.peer, request.principal,
                     request.path);
      co_return kafka_error_response(protocol::error_code::cluster_authorization_failed,
                                     request.principal + " may not DESCRIBE the CLUSTER");
    }
    co_return co_await found.matched->handler(request);
  }
};

admin_server::admin_server(admin_options options, const broker_view& view, broker::broker* services)
    : _impl(std::make_unique<impl>(std::move(options), &view, services)) {}

admin_server::admin_server(admin_options options)
    : _impl(std::make_unique<impl>(std::move(options), nullptr, nullptr)) {}

admin_server::~admin_server() { stop(); }

void admin_server::start() { _impl->server.start(); }
void admin_server::stop() { _impl->server.stop(); }
std::uint16_t admin_server::bound_port() const { return _impl->server.bound_port(); }
std::string admin_server::address() const { return _impl->address(); }
const route_table& admin_server::routes() const { return _impl->table; }

}  // namespace spate::admin
