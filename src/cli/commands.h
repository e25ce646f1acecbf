#pragma once
// Registration of each client command family (internal to the cli module).
#include <functional>
#include <memory>
#include <string>

#include "cli/client_options.h"

namespace spate::cli {

void register_topic_commands(CLI::App& app);
void register_group_commands(CLI::App& app);
void register_produce_command(CLI::App& app);
void register_consume_command(CLI::App& app);
void register_cluster_commands(CLI::App& app);
void register_quota_commands(CLI::App& app);
void register_user_commands(CLI::App& app);
void register_acl_commands(CLI::App& app);

// A leaf command with the connection flags; `body` runs with them and the command's exit status
// (0, or 1 after one line on stderr) ends the process.
CLI::App* add_client_command(CLI::App& parent, const std::string& name, const std::string& description,
                             const std::shared_ptr<client_options>& options, std::function<void()> body);

}  // namespace spate::cli
