// `spate`: the broker and the operator's command line in one binary.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/config.h"
#include "app/serve.h"
#include "broker/api_table.h"
#include "cli/admin_commands.h"
#include "cli/client_commands.h"
#include "cli/lag_commands.h"
#include "metrics/catalogue.h"

namespace {

// Precedence, lowest first: the config file, --set KEY=VALUE, then the named flags.
int serve(const std::string& config_file, const std::vector<std::string>& set_flags,
          const std::vector<std::pair<std::string, std::string>>& named_flags) {
  using namespace spate::app;
  broker_config config;
  try {
    if (!config_file.empty()) apply_properties_file(config, config_file);
    for (const auto& setting : set_flags) {
      const auto eq = setting.find('=');
      if (eq == std::string::npos) throw config_error("--set expects key=value, got '" + setting + "'");
      apply_setting(config, setting.substr(0, eq), setting.substr(eq + 1));
    }
    for (const auto& [key, value] : named_flags) apply_setting(config, key, value);
  } catch (const config_error& e) {
    std::fprintf(stderr, "spate serve: %s\n", e.what());
    return 2;
  }
  return run_broker(config);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spate: a Kafka-compatible streaming broker"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "spate 0.1.0");

  auto* serve_cmd = app.add_subcommand("serve", "Run the broker");
  std::string config_file;
  std::vector<std::string> set_flags;
  std::vector<std::pair<std::string, std::string>> named_flags;
  serve_cmd->add_option("-c,--config", config_file, "Properties file (key=value per line)")->check(CLI::ExistingFile);
  auto add_key_flag = [&](const char* flag, const char* key, const char* help) {
    serve_cmd
        ->add_option_function<std::string>(
            flag, [&named_flags, key](const std::string& value) { named_flags.emplace_back(key, value); }, help)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a later flag wins, as --set's do
  };
  add_key_flag("--listen", "listeners",
               "Addresses to accept clients on, HOST:PORT or NAME://HOST:PORT,... (config key: listeners)");
  add_key_flag("--advertised-listener", "advertised.listeners",
               "Addresses given to clients, HOST:PORT or NAME://HOST:PORT,...");
  add_key_flag("--data-dir", "log.dirs", "Data directory (config key: log.dirs)");
  add_key_flag("--node-id", "node.id", "Broker id (config key: node.id)");
  serve_cmd->add_option("--set", set_flags, "Set a config key, KEY=VALUE (repeatable; overrides --config)");
  serve_cmd->footer(spate::app::describe_settings());
  serve_cmd->callback([&] { std::exit(serve(config_file, set_flags, named_flags)); });

  auto* docs_cmd = app.add_subcommand("docs", "Print generated documentation");
  docs_cmd->require_subcommand(1);
  docs_cmd->add_subcommand("compatibility", "docs/compatibility.md: the Kafka APIs and versions served")->callback([] {
    std::fputs(spate::broker::compatibility_markdown().c_str(), stdout);
  });
  docs_cmd->add_subcommand("configuration", "docs/configuration.md: every broker setting and topic config")
      ->callback([] { std::fputs(spate::app::configuration_markdown().c_str(), stdout); });
  docs_cmd->add_subcommand("metrics", "docs/metrics.md: every metric with its Kafka JMX equivalent")->callback([] {
    std::fputs(spate::metrics::metrics_markdown().c_str(), stdout);
  });

  spate::cli::register_client_commands(app);
  spate::cli::register_admin_commands(app);
  spate::cli::register_lag_command(app);
  spate::cli::register_lag_monitor_command(app);

  // Exit status: 0 for success and --help/--version, 2 for a usage error.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}
