#include "lag/prometheus.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <string_view>

#include "lag/monitor.h"

namespace spate::lag {

namespace {

std::string escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

using label_list = std::vector<std::pair<std::string_view, std::string>>;

void sample(std::string& out, std::string_view name, const label_list& labels, double value) {
  out += name;
  out += '{';
  bool first = true;
  for (const auto& [key, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += fmt::format("{}=\"{}\"", key, escape(v));
  }
  out += fmt::format("}} {}\n", value);
}

struct family {
  std::string_view name;
  std::string_view type;
  std::string_view help;
  // Appends this family's samples for one cluster.
  std::function<void(std::string&, const monitor&, const cluster_view&)> write;
};

label_list partition_labels(const cluster_view& c, const group_view& g, const partition_view& p) {
  return {{"cluster_name", c.cluster},
          {"group", g.group},
          {"topic", p.facts.topic},
          {"partition", std::to_string(p.facts.partition)},
          {"member_host", p.facts.owner_host},
          {"consumer_id", p.facts.owner_member_id},
          {"client_id", p.facts.owner_client_id}};
}

label_list group_labels(const cluster_view& c, const group_view& g) {
  return {{"cluster_name", c.cluster}, {"group", g.group}};
}

// A group with no members and no coordinator-managed state is a "simple consumer" in
// kafka-lag-exporter's terms (offsets committed without the group protocol).
std::string simple_consumer(const group_view& g) { return g.state.empty() ? "true" : "false"; }

void per_partition(std::string& out, const cluster_view& c, std::string_view name,
                   const std::function<double(const partition_view&)>& value) {
  for (const auto& g : c.groups) {
    for (const auto& p : g.partitions) sample(out, name, partition_labels(c, g, p), value(p));
  }
}

// Once per topic-partition of the cluster, however many groups read it.
void per_topic_partition(std::string& out, const cluster_view& c, std::string_view name,
                         const std::function<double(const partition_facts&)>& value) {
  std::vector<std::pair<std::string, std::int32_t>> seen;
  for (const auto& g : c.groups) {
    for (const auto& p : g.partitions) {
      std::pair<std::string, std::int32_t> key{p.facts.topic, p.facts.partition};
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      sample(out, name, {{"cluster_name", c.cluster}, {"topic", key.first}, {"partition", std::to_string(key.second)}},
             value(p.facts));
      seen.push_back(std::move(key));
    }
  }
}

const std::vector<family>& families() {
  static const std::vector<family> all{
      {"kafka_consumergroup_group_offset", "gauge", "The group's committed offset of a partition",
       [](std::string& out, const monitor&, const cluster_view& c) {
         per_partition(out, c, "kafka_consumergroup_group_offset",
                       [](const partition_view& p) { return static_cast<double>(p.facts.committed_offset); });
       }},
      {"kafka_consumergroup_group_lag", "gauge",
       "Records the group has not consumed in a partition (exact; control records not counted)",
       [](std::string& out, const monitor&, const cluster_view& c) {
         per_partition(out, c, "kafka_consumergroup_group_lag",
                       [](const partition_view& p) { return static_cast<double>(p.offset_lag); });
       }},
      {"kafka_consumergroup_group_lag_seconds", "gauge",
       "Age of the partition's first unconsumed record (0 when caught up)",
       [](std::string& out, const monitor&, const cluster_view& c) {
         per_partition(out, c, "kafka_consumergroup_group_lag_seconds",
                       [](const partition_view& p) { return static_cast<double>(p.time_lag_ms) / 1000.0; });
       }},
      {"kafka_consumergroup_group_max_lag", "gauge", "The group's largest partition lag in records",
       [](std::string& out, const monitor&, const cluster_view& c) {
         for (const auto& g : c.groups) {
           auto labels = group_labels(c, g);
           labels.emplace_back("is_simple_consumer", simple_consumer(g));
           sample(out, "kafka_consumergroup_group_max_lag", labels, static_cast<double>(g.max_lag));
         }
       }},
      {"kafka_consumergroup_group_max_lag_seconds", "gauge", "The group's largest partition time lag",
       [](std::string& out, const monitor&, const cluster_view& c) {
         for (const auto& g : c.groups) {
           auto labels = group_labels(c, g);
           labels.emplace_back("is_simple_consumer", simple_consumer(g));
           sample(out, "kafka_consumergroup_group_max_lag_seconds", labels,
                  static_cast<double>(g.max_time_lag_ms) / 1000.0);
         }
       }},
      {"kafka_consumergroup_group_sum_lag", "gauge", "The group's lag in records over all its partitions",
       [](std::string& out, const monitor&, const cluster_view& c) {
         for (const auto& g : c.groups) {
           sample(out, "kafka_consumergroup_group_sum_lag", group_labels(c, g), static_cast<double>(g.total_lag));
         }
       }},
      {"kafka_consumergroup_group_topic_sum_lag", "gauge", "The group's lag in records over a topic's partitions",
       [](std::string& out, const monitor&, const cluster_view& c) {
         for (const auto& g : c.groups) {
           std::vector<std::pair<std::string, std::int64_t>> topics;
           for (const auto& p : g.partitions) {
             auto it =
                 std::find_if(topics.begin(), topics.end(), [&](const auto& t) { return t.first == p.facts.topic; });
             if (it == topics.end()) {
               topics.emplace_back(p.facts.topic, p.offset_lag);
             } else {
               it->second += p.offset_lag;
             }
           }
           for (const auto& [topic, lag] : topics) {
             auto labels = group_labels(c, g);
             labels.emplace_back("topic", topic);
             sample(out, "kafka_consumergroup_group_topic_sum_lag", labels, static_cast<double>(lag));
           }
         }
       }},
      {"kafka_partition_latest_offset", "gauge", "The partition's high watermark",
       [](std::string& out, const monitor&, const cluster_view& c) {
         per_topic_partition(out, c, "kafka_partition_latest_offset",
                             [](const partition_facts& p) { return static_cast<double>(p.high_watermark); });
       }},
      {"kafka_partition_earliest_offset", "gauge", "The partition's log start offset",
       [](std::string& out, const monitor&, const cluster_view& c) {
         per_topic_partition(out, c, "kafka_partition_earliest_offset",
                             [](const partition_facts& p) { return static_cast<double>(p.log_start_offset); });
       }},
      {"spate_consumergroup_status", "gauge",
       "The group's lag status as the `status` label (OK, IDLE, RECOVERING, SLOW, REWOUND, STALLED, STOPPED); "
       "value 1",
       [](std::string& out, const monitor&, const cluster_view& c) {
         for (const auto& g : c.groups) {
           auto labels = group_labels(c, g);
           labels.emplace_back("status", std::string(to_string(g.current)));
           sample(out, "spate_consumergroup_status", labels, 1);
         }
       }},
      {"spate_consumergroup_eta_seconds", "gauge", "Estimated seconds until the group catches up (when lag shrinks)",
       [](std::string& out, const monitor&, const cluster_view& c) {
         for (const auto& g : c.groups) {
           if (g.eta_seconds) sample(out, "spate_consumergroup_eta_seconds", group_labels(c, g), *g.eta_seconds);
         }
       }},
      {"spate_lag_cluster_up", "gauge", "1 when the cluster's last sample succeeded, 0 when it was offline",
       [](std::string& out, const monitor&, const cluster_view& c) {
         sample(out, "spate_lag_cluster_up", {{"cluster_name", c.cluster}}, c.error.empty() ? 1 : 0);
       }},
      {"spate_lag_tick_cpu_seconds", "gauge", "CPU time the monitor's last tick took (sample, evaluate, store)",
       [](std::string& out, const monitor& m, const cluster_view& c) {
         sample(out, "spate_lag_tick_cpu_seconds", {{"cluster_name", c.cluster}}, m.stats().last_tick_cpu_ms / 1000.0);
       }},
      {"spate_lag_history_bytes", "gauge", "Size of the lag history database (with its WAL)",
       [](std::string& out, const monitor& m, const cluster_view& c) {
         sample(out, "spate_lag_history_bytes", {{"cluster_name", c.cluster}},
                static_cast<double>(m.stats().history_bytes));
       }},
      {"spate_lag_alerts_total", "counter", "Webhook notices by outcome (sent, failed, dropped)",
       [](std::string& out, const monitor& m, const cluster_view& c) {
         const auto a = m.alerts();
         sample(out, "spate_lag_alerts_total", {{"cluster_name", c.cluster}, {"outcome", "sent"}},
                static_cast<double>(a.sent));
         sample(out, "spate_lag_alerts_total", {{"cluster_name", c.cluster}, {"outcome", "failed"}},
                static_cast<double>(a.failed));
         sample(out, "spate_lag_alerts_total", {{"cluster_name", c.cluster}, {"outcome", "dropped"}},
                static_cast<double>(a.dropped));
       }},
  };
  return all;
}

}  // namespace

std::string prometheus_text(const std::vector<std::shared_ptr<monitor>>& monitors) {
  std::vector<std::shared_ptr<const cluster_view>> views;
  views.reserve(monitors.size());
  for (const auto& m : monitors) views.push_back(m->current());
  std::string out;
  for (const auto& f : families()) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
    for (std::size_t i = 0; i < monitors.size(); ++i) f.write(out, *monitors[i], *views[i]);
  }
  return out;
}

}  // namespace spate::lag
