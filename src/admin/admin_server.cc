#include "admin/admin_server.h"

#include <fmt/format.h>

#include "admin/api_routes.h"
#include "admin/errors.h"
#include "admin/http_server.h"

namespace spate::admin {

struct admin_server::impl {
  admin_options options;
  route_table table;
  api_context ctx;
  http_server server;

  impl(admin_options o, const broker_view* view, broker::broker* services)
      : options(std::move(o)),
        ctx{view, services, options, {}, {}, &table},
        server({options.host, options.port, options.request_timeout, options.max_body_bytes, options.max_connections},
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

  boost::asio::awaitable<http_response> dispatch(http_request request) {
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
