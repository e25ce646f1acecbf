// GET /v1/lag/clusters, /v1/lag/groups, /v1/lag/groups/{group}, /v1/lag/groups/{group}/history,
// /v1/lag/transitions: the lag monitor's views and history (docs/lag.md has the shapes).
#include <charconv>
#include <optional>

#include "admin/api_routes.h"
#include "admin/errors.h"
#include "lag/monitor.h"

namespace spate::admin {

namespace {

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json nullable_text(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json lag_group_json(const lag::group_view& g) {
  return {{"group", g.group},
          {"state", g.state},
          {"members", g.members},
          {"status", lag::to_string(g.current)},
          {"reason", g.reason},
          {"status_since_ms", g.status_since_ms},
          {"total_lag", g.total_lag},
          {"max_lag", g.max_lag},
          {"max_time_lag_ms", g.max_time_lag_ms},
          {"eta_seconds", optional_number(g.eta_seconds)},
          {"worst_partitions", g.worst_partitions}};
}

nlohmann::json partition_json(const lag::partition_view& p) {
  const auto& f = p.facts;
  nlohmann::json owner = nullptr;
  if (!f.owner_member_id.empty()) {
    owner = {{"member_id", f.owner_member_id}, {"client_id", f.owner_client_id}, {"host", f.owner_host}};
  }
  return {{"topic", f.topic},
          {"partition", f.partition},
          {"status", lag::to_string(p.current)},
          {"reason", p.reason},
          {"status_since_ms", p.status_since_ms},
          {"committed_offset", f.committed_offset},
          {"commit_time_ms", f.commit_time_ms},
          {"log_start_offset", f.log_start_offset},
          {"high_watermark", f.high_watermark},
          {"last_stable_offset", f.last_stable_offset},
          {"end_offset", f.end_offset},
          {"read_committed", f.read_committed},
          {"offset_lag", p.offset_lag},
          {"time_lag_ms", p.time_lag_ms},
          {"consume_rate", p.consume_rate},
          {"produce_rate", p.produce_rate},
          {"eta_seconds", optional_number(p.eta_seconds)},
          {"owner", owner},
          {"fetch_position", f.fetch_position}};
}

const lag::group_view* find_group(const lag::cluster_view& view, const std::string& group) {
  for (const auto& g : view.groups) {
    if (g.group == group) return &g;
  }
  return nullptr;
}

// A query parameter as an integer; nullopt when absent; sets `bad` when present but not one.
std::optional<std::int64_t> integer_param(const http_request& r, const std::string& name, bool& bad) {
  const auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return std::nullopt;
  std::int64_t value = 0;
  const auto* end = it->second.data() + it->second.size();
  const auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    bad = true;
    return std::nullopt;
  }
  return value;
}

std::optional<http_response> bad_integers(bool bad) {
  if (!bad) return std::nullopt;
  return error_response(400, "INVALID_PARAMETER", "from, to, partition and limit must be integers");
}

std::string query_or_empty(const http_request& r, const std::string& name) {
  const auto it = r.query.find(name);
  return it == r.query.end() ? std::string{} : it->second;
}

nlohmann::json cluster_parameter() {
  return {{"name", "cluster"},
          {"in", "query"},
          {"required", false},
          {"schema", {{"type", "string"}}},
          {"description", "the monitored cluster (default: the first)"}};
}

}  // namespace

std::shared_ptr<lag::monitor> find_lag_monitor(const api_context& ctx, const std::string& cluster) {
  for (const auto& m : ctx.options.lag_monitors) {
    if (cluster.empty() || m->cluster() == cluster) return m;
  }
  return nullptr;
}

void add_lag_routes(route_table& table, api_context& ctx) {
  const auto with_monitor = [&ctx](const std::function<http_response(http_request&, lag::monitor&)>& fn) {
    return sync_handler([&ctx, fn](http_request& r) {
      const auto cluster = query_or_empty(r, "cluster");
      const auto monitor = find_lag_monitor(ctx, cluster);
      if (!monitor) return error_response(404, not_found, "no monitored cluster '" + cluster + "'");
      return fn(r, *monitor);
    });
  };
  table.add({"GET",
             "/v1/lag/clusters",
             "The monitored clusters: last sample time, error (offline) and group count",
             {{"responses", {{"200", ok_response("Clusters")}}}},
             sync_handler([&ctx](http_request&) {
               auto clusters = nlohmann::json::array();
               for (const auto& m : ctx.options.lag_monitors) {
                 const auto view = m->current();
                 clusters.push_back({{"cluster", m->cluster()},
                                     {"taken_at_ms", view->taken_at_ms},
                                     {"error", nullable_text(view->error)},
                                     {"sample_interval_ms", m->sample_interval_ms()},
                                     {"groups", view->groups.size()}});
               }
               return json_response(200, {{"clusters", clusters}});
             })});
  table.add({"GET",
             "/v1/lag/groups",
             "Every consumer group's lag status, reason, offset and time lag and ETA",
             {{"parameters", {cluster_parameter()}}, {"responses", {{"200", ok_response("Groups")}}}},
             with_monitor([](http_request&, lag::monitor& m) {
               const auto view = m.current();
               auto groups = nlohmann::json::array();
               for (const auto& g : view->groups) groups.push_back(lag_group_json(g));
               return json_response(200, {{"cluster", view->cluster},
                                          {"taken_at_ms", view->taken_at_ms},
                                          {"error", nullable_text(view->error)},
                                          {"sample_interval_ms", m.sample_interval_ms()},
                                          {"groups", groups}});
             })});
  table.add({"GET",
             "/v1/lag/groups/{group}",
             "A group's lag per partition: offsets, lags, rates, ETA, owner and status with its reason",
             {{"parameters", {cluster_parameter()}},
              {"responses", {{"200", ok_response("Group")}, {"404", ok_response("Unknown group")}}}},
             with_monitor([](http_request& r, lag::monitor& m) {
               const auto view = m.current();
               const auto* g = find_group(*view, r.params["group"]);
               if (g == nullptr) {
                 return error_response(404, "GROUP_ID_NOT_FOUND",
                                       "no group '" + r.params["group"] + "' with committed offsets");
               }
               auto body = lag_group_json(*g);
               body["cluster"] = view->cluster;
               body["taken_at_ms"] = view->taken_at_ms;
               auto partitions = nlohmann::json::array();
               for (const auto& p : g->partitions) partitions.push_back(partition_json(p));
               body["partitions"] = partitions;
               return json_response(200, body);
             })});
  table.add({"GET",
             "/v1/lag/groups/{group}/history",
             "A group's lag history (per partition samples and gaps) between `from` and `to` (ms since the epoch)",
             {{"parameters",
               {cluster_parameter(),
                {{"name", "from"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "integer"}}}},
                {{"name", "to"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "integer"}}}},
                {{"name", "topic"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}},
                {{"name", "partition"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "integer"}}}},
                {{"name", "limit"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "integer"}}}}}},
              {"responses", {{"200", ok_response("History")}, {"400", ok_response("Bad parameter")}}}},
             with_monitor([](http_request& r, lag::monitor& m) {
               bool bad = false;
               lag::history_query q;
               q.group = r.params["group"];
               q.from_ms = integer_param(r, "from", bad).value_or(0);
               q.to_ms = integer_param(r, "to", bad).value_or(INT64_MAX);
               if (const auto p = integer_param(r, "partition", bad)) q.partition = static_cast<std::int32_t>(*p);
               if (const auto l = integer_param(r, "limit", bad))
                 q.limit = static_cast<std::size_t>(std::max<std::int64_t>(*l, 1));
               if (auto error = bad_integers(bad)) return *error;
               if (const auto topic = query_or_empty(r, "topic"); !topic.empty()) q.topic = topic;
               auto points = nlohmann::json::array();
               for (const auto& p : m.history(q)) {
                 points.push_back({{"at_ms", p.at_ms},
                                   {"topic", p.topic},
                                   {"partition", p.partition},
                                   {"committed_offset", p.committed_offset},
                                   {"end_offset", p.end_offset},
                                   {"log_start_offset", p.log_start_offset},
                                   {"offset_lag", p.offset_lag},
                                   {"time_lag_ms", p.time_lag_ms},
                                   {"consume_rate", p.consume_rate},
                                   {"produce_rate", p.produce_rate},
                                   {"status", lag::to_string(p.current)},
                                   {"coarse", p.coarse}});
               }
               auto gaps = nlohmann::json::array();
               for (const auto& g : m.gaps(q.from_ms, q.to_ms)) {
                 gaps.push_back({{"from_ms", g.from_ms}, {"to_ms", g.to_ms}, {"error", g.error}});
               }
               return json_response(200, {{"group", q.group}, {"points", points}, {"gaps", gaps}});
             })});
  table.add({"GET",
             "/v1/lag/transitions",
             "Status transitions of partitions and groups, newest first",
             {{"parameters",
               {cluster_parameter(),
                {{"name", "group"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}},
                {{"name", "from"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "integer"}}}},
                {{"name", "to"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "integer"}}}},
                {{"name", "limit"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "integer"}}}}}},
              {"responses", {{"200", ok_response("Transitions")}}}},
             with_monitor([](http_request& r, lag::monitor& m) {
               bool bad = false;
               lag::transition_query q;
               if (const auto group = query_or_empty(r, "group"); !group.empty()) q.group = group;
               q.from_ms = integer_param(r, "from", bad).value_or(0);
               q.to_ms = integer_param(r, "to", bad).value_or(INT64_MAX);
               if (const auto l = integer_param(r, "limit", bad)) {
                 q.limit = static_cast<std::size_t>(std::max<std::int64_t>(*l, 1));
               }
               if (auto error = bad_integers(bad)) return *error;
               auto transitions = nlohmann::json::array();
               for (const auto& t : m.transitions(q)) {
                 transitions.push_back(
                     {{"at_ms", t.at_ms},
                      {"group", t.group},
                      {"topic", nullable_text(t.topic)},
                      {"partition", t.partition < 0 ? nlohmann::json(nullptr) : nlohmann::json(t.partition)},
                      {"from", lag::to_string(t.from)},
                      {"to", lag::to_string(t.to)},
                      {"reason", t.reason}});
               }
               return json_response(200, {{"transitions", transitions}});
             })});
}

}  // namespace spate::admin
