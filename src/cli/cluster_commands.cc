// spate cluster info: brokers, controller, cluster id and the API versions served.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli/api_versions_probe.h"
#include "cli/commands.h"
#include "cli/connection_properties.h"
#include "cli/table.h"

namespace spate::cli {

namespace {

using json = nlohmann::json;

void cluster_info(const client_options& o) {
  const std::string what = "cluster info";
  kafka_client client(o, RD_KAFKA_PRODUCER);
  const auto md = fetch_metadata(client, what);
  char* id = rd_kafka_clusterid(client.get(), o.timeout_ms);
  const std::string cluster_id = id != nullptr ? id : "";
  if (id != nullptr) rd_kafka_mem_free(client.get(), id);
  const std::int32_t controller = rd_kafka_controllerid(client.get(), o.timeout_ms);

  std::vector<const rd_kafka_metadata_broker_t*> brokers;
  for (int i = 0; i < md->broker_cnt; ++i) brokers.push_back(&md->brokers[i]);
  std::sort(brokers.begin(), brokers.end(), [](auto* a, auto* b) { return a->id < b->id; });
  json broker_json = json::array();
  table btable({"ID", "HOST", "PORT", "CONTROLLER"});
  for (const auto* b : brokers) {
    broker_json.push_back({{"id", b->id}, {"host", b->host}, {"port", b->port}});
    btable.add_row({std::to_string(b->id), b->host, std::to_string(b->port), b->id == controller ? "yes" : ""});
  }

  // The API versions of the first bootstrap broker.
  const std::string first = first_broker(o);
  json api_json = nullptr;
  table atable({"API_KEY", "NAME", "MIN", "MAX"});
  std::string api_note;
  try {
    read_connection_properties(o.properties);
  } catch (const std::invalid_argument& e) {
    // Settings only librdkafka speaks (say, SASL GSSAPI): the rest of the command still works.
    api_note = std::string("API versions not queried: ") + e.what() + "\n";
  }
  if (api_note.empty()) {
    std::vector<api_version_range> ranges;
    try {
      ranges = probe_api_versions(o, what + " ApiVersions");
    } catch (const command_error&) {
      throw;
    } catch (const std::runtime_error& e) {
      fail(what + " ApiVersions " + first, RD_KAFKA_RESP_ERR__TRANSPORT, e.what());
    }
    api_json = json::array();
    for (const auto& r : ranges) {
      const auto name = api_key_name(r.api_key);
      api_json.push_back(
          {{"api_key", r.api_key}, {"name", name}, {"min_version", r.min_version}, {"max_version", r.max_version}});
      atable.add_row({std::to_string(r.api_key), name, std::to_string(r.min_version), std::to_string(r.max_version)});
    }
  }
  if (o.json) {
    print_text(json{{"cluster_id", cluster_id.empty() ? json(nullptr) : json(cluster_id)},
                    {"controller_id", controller},
                    {"brokers", broker_json},
                    {"api_versions_from", first},
                    {"api_versions", api_json}}
                   .dump(2) +
               "\n");
    return;
  }
  std::string text = "Cluster id: " + (cluster_id.empty() ? std::string("-") : cluster_id) +
                     "\nController: " + std::to_string(controller) + "\n\n" + btable.render() + "\n";
  text += api_note.empty() ? "API versions served by " + first + ":\n" + atable.render() : api_note;
  print_text(text);
}

}  // namespace

void register_cluster_commands(CLI::App& app) {
  auto* cluster = app.add_subcommand("cluster", "Cluster-wide information");
  cluster->require_subcommand(1);
  auto o = std::make_shared<client_options>();
  add_client_command(*cluster, "info", "Brokers, controller, cluster id and the API versions served", o,
                     [o] { cluster_info(*o); });
}

}  // namespace spate::cli
