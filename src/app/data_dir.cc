#include "app/data_dir.h"

#include <charconv>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "model/uuid.h"

namespace spate::app {
namespace {

constexpr std::string_view meta_file = "meta.properties";

std::map<std::string, std::string> read_properties(const std::filesystem::path& file) {
  std::map<std::string, std::string> props;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    if (eq != std::string::npos) props[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return props;
}

void write_meta(const std::filesystem::path& dir, const data_dir_identity& id) {
  const auto tmp = dir / (std::string(meta_file) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# written by spate on first start; identifies this data directory\n"
        << "version=1\n"
        << "cluster.id=" << id.cluster_id << "\n"
        << "node.id=" << id.node_id << "\n";
    if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, dir / meta_file);
}

}  // namespace

std::string random_cluster_id() {
  // The same text form as topic ids: 16 random bytes in unpadded base64url.
  std::random_device rd;
  model::uuid bytes;
  for (auto& b : bytes.value) b = static_cast<std::uint8_t>(rd());
  return model::to_string(bytes);
}

data_dir_identity open_data_dir(const std::filesystem::path& dir, std::int32_t node_id) {
  std::filesystem::create_directories(dir);
  const auto meta = dir / meta_file;
  if (!std::filesystem::exists(meta)) {
    data_dir_identity id{random_cluster_id(), node_id};
    write_meta(dir, id);
    return id;
  }
  auto props = read_properties(meta);
  data_dir_identity id;
  id.cluster_id = props["cluster.id"];
  const auto& stored_node = props["node.id"];
  const auto [ptr, ec] = std::from_chars(stored_node.data(), stored_node.data() + stored_node.size(), id.node_id);
  if (id.cluster_id.empty() || ec != std::errc{} || ptr != stored_node.data() + stored_node.size()) {
    throw std::runtime_error(fmt::format("{} is damaged: it needs cluster.id and node.id", meta.string()));
  }
  if (id.node_id != node_id) {
    throw std::runtime_error(fmt::format("data directory {} belongs to node.id={}, not node.id={}", dir.string(),
                                         id.node_id, node_id));
  }
  return id;
}

}  // namespace spate::app
