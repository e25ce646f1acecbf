// GET /v1/health/live, /v1/health/ready, /v1/status, /v1/diag, /metrics, /v1/openapi.json.
#include <algorithm>

#include "admin/api_routes.h"
#include "admin/errors.h"
#include "admin/openapi.h"

namespace spate::admin {
namespace {

constexpr std::size_t diag_top = 5;

nlohmann::json status_json(const api_context& ctx) {
  const auto id = ctx.view->identity();
  const auto usage = ctx.view->usage();
  const auto recovery = ctx.view->recovery();
  const auto topics = ctx.view->topics();
  std::int64_t partitions = 0;
  for (const auto& t : topics) partitions += t.partitions;
  auto optional_bytes = [](const std::optional<std::uint64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  nlohmann::json status = {
      {"node_id", id.node_id},
      {"version", id.version},
      {"cluster_id", id.cluster_id},
      {"uptime_s", ctx.view->uptime_ms() / 1000},
      {"ready", ctx.view->ready()},
      {"listeners", {{"kafka", id.kafka_listener}, {"admin", ctx.admin_address()}}},
      {"data_dir", id.data_dir},
      {"usage",
       {{"log_bytes", usage.log_bytes},
        {"fs_free_bytes", optional_bytes(usage.fs_free_bytes)},
        {"fs_total_bytes", optional_bytes(usage.fs_total_bytes)}}},
      {"counts",
       {{"topics", topics.size()},
        {"partitions", partitions},
        {"groups", ctx.view->groups().size()},
        {"connections", ctx.view->connection_count()}}},
      {"recovery",
       {{"state", recovery.new_data_dir  ? "new_data_dir"
                  : recovery.clean_start ? "clean_start"
                                         : "recovered"},
        {"clean_start", recovery.clean_start},
        {"segments_loaded", recovery.segments_loaded},
        {"segments_recovered", recovery.segments_recovered},
        {"bytes_truncated", recovery.bytes_truncated}}},
  };
  for (const auto& [name, section] : ctx.options.status_sections) {
    if (section) status[name] = section();
  }
  return status;
}

nlohmann::json diag_json(const api_context& ctx) {
  struct sized {
    std::string topic;
    std::int32_t partition;
    std::uint64_t size_bytes;
  };
  std::vector<sized> all;
  for (const auto& t : ctx.view->topics()) {
    const auto detail = ctx.view->topic(t.name);
    if (!detail) continue;
    for (const auto& p : detail->partitions) all.push_back({t.name, p.partition, p.size_bytes});
  }
  const auto top = std::min(all.size(), diag_top);
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(top), all.end(),
                    [](const sized& a, const sized& b) { return a.size_bytes > b.size_bytes; });
  auto largest = nlohmann::json::array();
  for (std::size_t i = 0; i < top; ++i) {
    largest.push_back({{"topic", all[i].topic}, {"partition", all[i].partition}, {"size_bytes", all[i].size_bytes}});
  }
  static const no_diag_source none;
  const diag_source& diag = ctx.options.diag ? *ctx.options.diag : none;
  auto slowest = nlohmann::json::array();
  for (const auto& r : diag.slowest_requests(diag_top)) {
    slowest.push_back(
        {{"kind", r.kind}, {"count", r.count}, {"mean_ms", r.mean_ms}, {"p99_ms", r.p99_ms}, {"max_ms", r.max_ms}});
  }
  auto errors = nlohmann::json::array();
  for (const auto& e : diag.recent_errors(diag_top * 2)) {
    errors.push_back({{"kind", e.kind}, {"error", e.error}, {"count", e.count}, {"last_ms", e.last_ms}});
  }
  nlohmann::json out{{"largest_partitions", largest}, {"slowest_requests", slowest}, {"recent_errors", errors}};
  for (const auto& [name, section] : ctx.options.diag_sections) {
    if (section) out[name] = section();
  }
  return out;
}

}  // namespace

void add_health_routes(route_table& table, api_context& ctx) {
  table.add({"GET",
             "/v1/health/live",
             "Liveness: 200 while the process serves HTTP",
             {{"responses", {{"200", ok_response("Alive")}}}},
             sync_handler([](http_request&) {
               return json_response(200, {{"status", "live"}});
             })});
  table.add({"GET",
             "/v1/health/ready",
             "Readiness: 200 once recovery has finished and the Kafka listener accepts, else 503",
             {{"responses", {{"200", ok_response("Ready")}, {"503", ok_response("Not ready")}}}},
             sync_handler([&ctx](http_request&) {
               return ctx.view->ready() ? json_response(200, {{"status", "ready"}})
                                        : json_response(503, {{"status", "not_ready"}});
             })});
}

void add_status_routes(route_table& table, api_context& ctx) {
  table.add({"GET",
             "/v1/status",
             "Broker identity, listeners, disk usage, counts, recovery and extra sections",
             {{"responses", {{"200", ok_response("Status")}}}},
             sync_handler([&ctx](http_request&) { return json_response(200, status_json(ctx)); })});
  table.add({"GET",
             "/v1/diag",
             "Largest partitions, slowest request kinds and recent errors by kind",
             {{"responses", {{"200", ok_response("Diagnostics")}}}},
             sync_handler([&ctx](http_request&) { return json_response(200, diag_json(ctx)); })});
}

void add_common_routes(route_table& table, api_context& ctx) {
  table.add(
      {"GET",
       "/metrics",
       "Prometheus metrics (text format 0.0.4)",
       {{"responses",
         {{"200", {{"description", "Metrics"}, {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}},
          {"404", ok_response("No metrics provider")}}}},
       sync_handler([&ctx](http_request&) {
         if (!ctx.options.metrics_text)
           return error_response(404, "METRICS_NOT_ENABLED", "no metrics provider is configured");
         http_response response;
         response.content_type = "text/plain; version=0.0.4; charset=utf-8";
         response.body = ctx.options.metrics_text();
         return response;
       })});
  table.add({"GET",
             "/v1/openapi.json",
             "This API's OpenAPI 3.0.3 document, generated from its route table",
             {{"responses", {{"200", ok_response("OpenAPI document")}}}},
             sync_handler([&ctx](http_request&) {
               return json_response(200, openapi_document(*ctx.routes, ctx.options.version));
             })});
}

}  // namespace spate::admin
