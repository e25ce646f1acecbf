// Burrow's HTTP API (v3, Burrow 1.x shapes), so dashboards and scripts written for Burrow work
// unchanged: /v3/kafka, /v3/kafka/{cluster}, .../consumer, .../consumer/{group},
// .../consumer/{group}/status and /lag, .../topic, .../topic/{topic}, and /burrow/admin.
// Statuses are mapped with lag::burrow_partition_status / burrow_group_status (docs/lag.md).
#include <unistd.h>

#include <algorithm>
#include <map>

#include "admin/api_routes.h"
#include "admin/errors.h"
#include "lag/monitor.h"

namespace spate::admin {

namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

nlohmann::json request_info(const http_request& r) { return {{"url", r.path}, {"host", host_name()}}; }

http_response burrow_ok(const http_request& r, const std::string& message, nlohmann::json body) {
  body["error"] = false;
  body["message"] = message;
  body["request"] = request_info(r);
  return json_response(200, body);
}

http_response burrow_not_found(const http_request& r, const std::string& message) {
  return json_response(404, {{"error", true}, {"message", message}, {"request", request_info(r)}});
}

const lag::group_view* find_group(const lag::cluster_view& view, const std::string& group) {
  for (const auto& g : view.groups) {
    if (g.group == group) return &g;
  }
  return nullptr;
}

// One Burrow offset entry: {offset, timestamp (of the commit), observedAt, lag}.
nlohmann::json offset_entry(std::int64_t offset, std::int64_t commit_time, std::int64_t observed, std::int64_t lag) {
  return {{"offset", offset}, {"timestamp", commit_time}, {"observedAt", observed}, {"lag", lag}};
}

// The oldest sample of the partition in the evaluation window, from history; the current one
// when history has none.
struct window_start {
  std::int64_t offset;
  std::int64_t at;
  std::int64_t lag;
};

std::map<std::pair<std::string, std::int32_t>, window_start> window_starts(const lag::monitor& m,
                                                                           const lag::cluster_view& view,
                                                                           const lag::group_view& g) {
  lag::history_query q;
  q.group = g.group;
  q.from_ms = view.taken_at_ms - m.sample_interval_ms() * 10;
  q.to_ms = view.taken_at_ms;
  std::map<std::pair<std::string, std::int32_t>, window_start> starts;
  for (const auto& p : m.history(q)) {
    starts.try_emplace({p.topic, p.partition}, window_start{p.committed_offset, p.at_ms, p.offset_lag});
  }
  return starts;
}

nlohmann::json partition_status(const lag::cluster_view& view, const lag::partition_view& p,
                                const std::map<std::pair<std::string, std::int32_t>, window_start>& starts) {
  const auto& f = p.facts;
  auto end = offset_entry(f.committed_offset, f.commit_time_ms, view.taken_at_ms, p.offset_lag);
  auto start = end;
  if (const auto it = starts.find({f.topic, f.partition}); it != starts.end()) {
    start = offset_entry(it->second.offset, it->second.at, it->second.at, it->second.lag);
  }
  return {{"topic", f.topic},
          {"partition", f.partition},
          {"owner", f.owner_host},
          {"client_id", f.owner_client_id},
          {"status", lag::burrow_partition_status(p.current)},
          {"start", start},
          {"end", end},
          {"current_lag", p.offset_lag},
          {"complete", 1.0}};
}

http_response group_status(const http_request& r, const lag::monitor& m, bool all_partitions) {
  const auto view = m.current();
  const auto* g = find_group(*view, r.params.at("group"));
  if (g == nullptr) return burrow_not_found(r, "cluster or consumer not found");
  const auto starts = window_starts(m, *view, *g);
  auto partitions = nlohmann::json::array();
  const lag::partition_view* max = nullptr;
  for (const auto& p : g->partitions) {
    if (max == nullptr || p.offset_lag > max->offset_lag) max = &p;
    if (all_partitions || lag::burrow_partition_status(p.current) != "OK") {
      partitions.push_back(partition_status(*view, p, starts));
    }
  }
  nlohmann::json status{{"cluster", view->cluster},
                        {"group", g->group},
                        {"status", lag::burrow_group_status(g->current)},
                        {"complete", 1.0},
                        {"partitions", partitions},
                        {"partition_count", g->partitions.size()},
                        {"maxlag", max != nullptr ? partition_status(*view, *max, starts) : nlohmann::json(nullptr)},
                        {"totallag", g->total_lag}};
  return burrow_ok(r, "consumer status returned", {{"status", status}});
}

}  // namespace

void add_burrow_routes(route_table& table, api_context& ctx) {
  // Runs `fn` with the monitor named by the {cluster} segment, or answers Burrow's 404.
  const auto in_cluster = [&ctx](const std::function<http_response(http_request&, lag::monitor&)>& fn) {
    return sync_handler([&ctx, fn](http_request& r) {
      const auto monitor = find_lag_monitor(ctx, r.params["cluster"]);
      if (!monitor) return burrow_not_found(r, "cluster not found");
      return fn(r, *monitor);
    });
  };
  const nlohmann::json burrow_responses{
      {"responses", {{"200", ok_response("Burrow-shaped answer")}, {"404", ok_response("Not found")}}}};

  table.add({"GET",
             "/burrow/admin",
             "Burrow's health check: GOOD",
             {{"responses", {{"200", ok_response("GOOD")}}}},
             sync_handler([](http_request&) {
               http_response response;
               response.content_type = "text/plain";
               response.body = "GOOD";
               return response;
             })});
  table.add(
      {"GET", "/v3/kafka", "Burrow: the monitored clusters", burrow_responses, sync_handler([&ctx](http_request& r) {
         auto clusters = nlohmann::json::array();
         for (const auto& m : ctx.options.lag_monitors) clusters.push_back(m->cluster());
         return burrow_ok(r, "cluster list returned", {{"clusters", clusters}});
       })});
  table.add({"GET", "/v3/kafka/{cluster}", "Burrow: a cluster's module detail", burrow_responses,
             in_cluster([](http_request& r, lag::monitor& m) {
               nlohmann::json module{{"class-name", "spate"},
                                     {"servers", nlohmann::json::array()},
                                     {"topic-refresh", m.sample_interval_ms() / 1000},
                                     {"offset-refresh", m.sample_interval_ms() / 1000}};
               return burrow_ok(r, "cluster module detail returned", {{"module", module}});
             })});
  table.add({"GET", "/v3/kafka/{cluster}/consumer", "Burrow: the consumer groups of a cluster", burrow_responses,
             in_cluster([](http_request& r, lag::monitor& m) {
               auto consumers = nlohmann::json::array();
               for (const auto& g : m.current()->groups) consumers.push_back(g.group);
               return burrow_ok(r, "consumer list returned", {{"consumers", consumers}});
             })});
  table.add(
      {"GET", "/v3/kafka/{cluster}/consumer/{group}", "Burrow: a group's committed offsets per topic and partition",
       burrow_responses, in_cluster([](http_request& r, lag::monitor& m) {
         const auto view = m.current();
         const auto* g = find_group(*view, r.params["group"]);
         if (g == nullptr) return burrow_not_found(r, "cluster or consumer not found");
         nlohmann::json topics = nlohmann::json::object();
         for (const auto& p : g->partitions) {
           auto& list = topics[p.facts.topic];
           if (!list.is_array()) list = nlohmann::json::array();
           while (list.size() <= static_cast<std::size_t>(p.facts.partition)) list.push_back(nullptr);
           list[static_cast<std::size_t>(p.facts.partition)] = {
               {"offsets",
                {offset_entry(p.facts.committed_offset, p.facts.commit_time_ms, view->taken_at_ms, p.offset_lag)}},
               {"owner", p.facts.owner_host},
               {"client_id", p.facts.owner_client_id},
               {"current-lag", p.offset_lag}};
         }
         return burrow_ok(r, "consumer detail returned", {{"topics", topics}});
       })});
  table.add({"GET", "/v3/kafka/{cluster}/consumer/{group}/status",
             "Burrow: a group's status with only its partitions that are not OK", burrow_responses,
             in_cluster([](http_request& r, lag::monitor& m) { return group_status(r, m, false); })});
  table.add({"GET", "/v3/kafka/{cluster}/consumer/{group}/lag", "Burrow: a group's status with every partition",
             burrow_responses, in_cluster([](http_request& r, lag::monitor& m) { return group_status(r, m, true); })});
  table.add({"GET", "/v3/kafka/{cluster}/topic", "Burrow: the topics consumer groups have committed for",
             burrow_responses, in_cluster([](http_request& r, lag::monitor& m) {
               std::vector<std::string> topics;
               for (const auto& g : m.current()->groups) {
                 for (const auto& p : g.partitions) topics.push_back(p.facts.topic);
               }
               std::sort(topics.begin(), topics.end());
               topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
               return burrow_ok(r, "topic list returned", {{"topics", topics}});
             })});
  table.add({"GET", "/v3/kafka/{cluster}/topic/{topic}", "Burrow: a topic's latest offset per partition",
             burrow_responses, in_cluster([](http_request& r, lag::monitor& m) {
               std::vector<std::int64_t> offsets;
               for (const auto& g : m.current()->groups) {
                 for (const auto& p : g.partitions) {
                   if (p.facts.topic != r.params["topic"]) continue;
                   const auto index = static_cast<std::size_t>(p.facts.partition);
                   if (offsets.size() <= index) offsets.resize(index + 1, -1);
                   offsets[index] = p.facts.high_watermark;
                 }
               }
               if (offsets.empty()) return burrow_not_found(r, "topic not found for cluster");
               return burrow_ok(r, "topic offsets returned", {{"offsets", offsets}});
             })});
}

}  // namespace spate::admin
