// `spate lag-monitor`: the lag monitor for Kafka clusters spate does not run (any Kafka-compatible
// cluster), over librdkafka, with the same evaluator, history, HTTP API and metrics as the broker.
#include <pthread.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "admin/admin_server.h"
#include "base/log.h"
#include "cli/lag_commands.h"
#include "lag/monitor.h"
#include "lag/prometheus.h"
#include "lag/remote/remote_source.h"

namespace spate::cli {
namespace {

struct monitor_flags {
  std::string brokers;
  std::vector<std::string> clusters;  // NAME (names --brokers' cluster) or NAME=HOST:PORT[,...]
  std::string http_listen = "127.0.0.1:9644";
  std::string db = "lag.db";
  int interval_ms = 10000;
  std::vector<std::string> properties;  // -X key=value
  std::string isolation = "read_uncommitted";
  std::string log_level = "info";
};

struct cluster_target {
  std::string name;
  std::string brokers;
};

[[noreturn]] void usage(const std::string& message) {
  std::fprintf(stderr, "spate lag-monitor: %s\n", message.c_str());
  std::exit(2);
}

std::vector<cluster_target> targets(const monitor_flags& flags) {
  std::vector<cluster_target> out;
  std::string plain_name;
  for (const auto& c : flags.clusters) {
    const auto eq = c.find('=');
    if (eq == std::string::npos) {
      if (!plain_name.empty()) usage("--cluster NAME given twice; use --cluster NAME=HOST:PORT for more clusters");
      plain_name = c;
    } else {
      if (eq == 0 || eq + 1 == c.size()) usage("--cluster expects NAME or NAME=HOST:PORT[,HOST:PORT], got '" + c + "'");
      out.push_back({c.substr(0, eq), c.substr(eq + 1)});
    }
  }
  if (!flags.brokers.empty()) {
    out.insert(out.begin(), {plain_name.empty() ? "remote" : plain_name, flags.brokers});
  } else if (!plain_name.empty()) {
    usage("--cluster " + plain_name + " needs --brokers (or use --cluster NAME=HOST:PORT)");
  }
  if (out.empty()) usage("give --brokers HOST:PORT (or --cluster NAME=HOST:PORT)");
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (out[i].name == out[j].name) usage("cluster name '" + out[i].name + "' given twice");
    }
  }
  return out;
}

// One history file per cluster: the one given for a single cluster, else "lag-NAME.db" beside it,
// so that each monitor is the only writer of its file.
std::filesystem::path history_file(const std::string& db, const std::string& cluster, bool several) {
  std::filesystem::path file(db);
  if (!several) return file;
  return file.parent_path() / (file.stem().string() + "-" + cluster + file.extension().string());
}

std::pair<std::string, std::uint16_t> host_port(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) usage("--http-listen expects HOST:PORT, got '" + listen + "'");
  try {
    const auto port = std::stoul(listen.substr(colon + 1));
    if (port > 65535) throw std::out_of_range("port");
    return {listen.substr(0, colon), static_cast<std::uint16_t>(port)};
  } catch (const std::exception&) {
    usage("--http-listen expects HOST:PORT, got '" + listen + "'");
  }
}

std::vector<std::pair<std::string, std::string>> properties(const std::vector<std::string>& raw) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : raw) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) usage("-X expects key=value, got '" + p.substr(0, p.find('=')) + "'");
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return out;
}

lag::millis wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int run(const monitor_flags& flags) {
  const auto clusters = targets(flags);
  const auto [host, port] = host_port(flags.http_listen);
  const auto props = properties(flags.properties);
  base::init_logging(flags.log_level);

  // SIGINT/SIGTERM are taken by sigwait below: blocked here, before any thread starts, so that
  // every thread (librdkafka's, the monitors', the HTTP server's) inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::vector<std::shared_ptr<lag::monitor>> monitors;
  for (const auto& target : clusters) {
    lag::remote_config remote;
    remote.cluster = target.name;
    remote.brokers = target.brokers;
    remote.properties = props;
    remote.read_committed = flags.isolation == "read_committed";
    remote.sample_interval_ms = flags.interval_ms;
    std::string error;
    auto source = lag::remote_source::create(remote, error);
    if (source == nullptr) usage(fmt::format("cluster {}: {}", target.name, error));

    lag::monitor_config config;
    config.cluster = target.name;
    config.sample_interval_ms = flags.interval_ms;
    if (!flags.db.empty()) {
      lag::store_config store;
      store.file = history_file(flags.db, target.name, clusters.size() > 1);
      std::error_code ignored;  // a directory that cannot be made shows up as the store's own error
      if (store.file.has_parent_path()) std::filesystem::create_directories(store.file.parent_path(), ignored);
      config.history = store;
    }
    monitors.push_back(std::make_shared<lag::monitor>(config, std::move(source), wall_clock_ms));
  }

  admin::admin_options options;
  options.host = host;
  options.port = port;
  options.lag_monitors = monitors;
  options.metrics_text = [monitors] { return lag::prometheus_text(monitors); };
  options.version = SPATE_VERSION;
  admin::admin_server http(options);
  try {
    http.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spate lag-monitor: cannot listen on %s: %s\n", flags.http_listen.c_str(), e.what());
    return 1;
  }
  for (auto& m : monitors) m->start();

  std::string names;
  for (const auto& c : clusters) names += (names.empty() ? "" : ",") + c.name;
  SPATE_LOG_INFO("lag-monitor started clusters={} interval_ms={} http={}", names, flags.interval_ms, http.address());
  std::fputs(fmt::format("spate lag-monitor ready http={} cluster={}\n", http.address(), names).c_str(), stdout);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  SPATE_LOG_INFO("lag-monitor signal received signal={}, stopping", signal_number);
  http.stop();
  for (auto& m : monitors) m->stop();
  return 0;
}

}  // namespace

void register_lag_monitor_command(CLI::App& app) {
  auto flags = std::make_shared<monitor_flags>();
  auto* cmd =
      app.add_subcommand("lag-monitor", "Monitor consumer-group lag of any Kafka cluster and serve the lag API");
  cmd->add_option("-b,--brokers", flags->brokers, "Bootstrap brokers of the cluster to watch, HOST:PORT[,HOST:PORT]");
  cmd->add_option("--cluster", flags->clusters,
                  "Name of the --brokers cluster (default: remote), or NAME=HOST:PORT[,...] for one more (repeatable)");
  cmd->add_option("--http-listen", flags->http_listen, "Address of the HTTP API and /metrics, HOST:PORT (0: any port)")
      ->capture_default_str();
  cmd->add_option("--db", flags->db, "History file (SQLite); with several clusters, one file each: FILE-NAME.db")
      ->capture_default_str();
  cmd->add_option("--interval-ms", flags->interval_ms, "Sample interval in milliseconds")
      ->check(CLI::Range(100, 3600 * 1000))
      ->capture_default_str();
  cmd->add_option("-X", flags->properties, "librdkafka property key=value, for every cluster (repeatable)");
  cmd->add_option("--isolation", flags->isolation,
                  "The consumers' isolation level: read_committed makes the end offset the last stable offset")
      ->check(CLI::IsMember({"read_uncommitted", "read_committed"}))
      ->capture_default_str();
  cmd->add_option("--log-level", flags->log_level, "Log level on stderr (trace, debug, info, warn, error)")
      ->capture_default_str();
  cmd->callback([flags] { std::exit(run(*flags)); });
}

}  // namespace spate::cli
