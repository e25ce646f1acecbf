#pragma once
// The broker's data directory and its identity file, meta.properties (Kafka's name and format:
// `cluster.id`, `node.id`, `version`), written once when the directory is first used.
#include <cstdint>
#include <filesystem>
#include <string>

namespace spate::app {

struct data_dir_identity {
  std::string cluster_id;
  std::int32_t node_id = 0;
};

// Creates the directory if needed and returns its identity, generating a cluster id on first use.
// Throws std::runtime_error when the directory belongs to another node id or cannot be used.
data_dir_identity open_data_dir(const std::filesystem::path& dir, std::int32_t node_id);

// A new cluster id as Kafka makes them: 16 random bytes in unpadded base64url (22 characters).
std::string random_cluster_id();

}  // namespace spate::app
