#include "cli/client_commands.h"

#include <cstdlib>

#include "cli/commands.h"

namespace spate::cli {

CLI::App* add_client_command(CLI::App& parent, const std::string& name, const std::string& description,
                             const std::shared_ptr<client_options>& options, std::function<void()> body) {
  auto* cmd = parent.add_subcommand(name, description);
  add_client_options(*cmd, *options);
  cmd->callback([body = std::move(body)] { std::exit(run_command(body)); });
  return cmd;
}

void register_client_commands(CLI::App& app) {
  register_topic_commands(app);
  register_group_commands(app);
  register_produce_command(app);
  register_consume_command(app);
  register_cluster_commands(app);
  register_quota_commands(app);
  register_user_commands(app);
  register_acl_commands(app);
}

}  // namespace spate::cli
