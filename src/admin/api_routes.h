#pragma once
// The admin API's routes, by area. Each add_*_routes() appends its rows to the table; the
// handlers capture `ctx`, which outlives the table. Internal to admin/.
#include <functional>
#include <optional>
#include <string>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "admin/admin_options.h"
#include "admin/broker_view.h"
#include "admin/http_message.h"
#include "admin/route_table.h"

namespace spate::broker {
class broker;
}

namespace spate::admin {

struct api_context {
  const broker_view* view;   // null: a lag-only server (spate lag-monitor); broker routes absent
  broker::broker* services;  // null: write routes answer 503
  const admin_options& options;
  std::function<std::string()> admin_address;
  std::function<boost::asio::any_io_executor()> executor;
  const route_table* routes = nullptr;
};

void add_health_routes(route_table& table, api_context& ctx);
void add_status_routes(route_table& table, api_context& ctx);
void add_topic_routes(route_table& table, api_context& ctx);
void add_group_routes(route_table& table, api_context& ctx);
void add_quota_routes(route_table& table, api_context& ctx);
// /metrics and /v1/openapi.json: served with or without a broker view.
void add_common_routes(route_table& table, api_context& ctx);
// /v1/lag/... and Burrow's /v3/kafka/... (routes_lag.cc, routes_burrow.cc) over options.lag_monitors.
void add_lag_routes(route_table& table, api_context& ctx);
void add_burrow_routes(route_table& table, api_context& ctx);
// The monitor of `cluster` in options.lag_monitors; empty name: the first. Null when none matches.
std::shared_ptr<lag::monitor> find_lag_monitor(const api_context& ctx, const std::string& cluster);

// ---- helpers shared by the route files (api_json.cc)
http_response json_response(int status, const nlohmann::json& body);
// The body as a JSON object; nullopt with `error` set (400 INVALID_JSON) otherwise.
std::optional<nlohmann::json> parse_object(const http_request& request, http_response& error);
// 503 when ctx.services is null.
std::optional<http_response> writes_unavailable(const api_context& ctx);
// OpenAPI fragments.
nlohmann::json json_content(const nlohmann::json& schema);
nlohmann::json ok_response(const std::string& description, const nlohmann::json& schema = {{"type", "object"}});
nlohmann::json json_request_body(const nlohmann::json& schema);
// The JSON of a topic (GET /v1/topics/{topic}).
nlohmann::json topic_json(const topic_detail& topic);

}  // namespace spate::admin
