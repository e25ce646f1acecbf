#pragma once
// Where client quotas (quota/client_quotas.h) live between restarts: `client-quotas.json` in the
// data directory, replaced crash-safely on every AlterClientQuotas.
#include <filesystem>
#include <string>

#include "quota/client_quotas.h"

namespace spate::app {

// Loads the file into `quotas` when it exists; an unreadable file stops start-up
// (std::runtime_error naming it) rather than dropping quotas silently.
void load_client_quotas(quota::client_quotas& quotas, const std::filesystem::path& data_dir);
// Replaces the file with `json` (write, fdatasync, rename, directory fsync). Blocking; false (one
// log line) when it failed.
bool save_client_quotas(const std::filesystem::path& data_dir, const std::string& json);

}  // namespace spate::app
