#include "storage/topic_metadata.h"

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/mutex.h"

namespace spate::storage {
std::string encode_topic_metadata(const topic_map& topics) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, t] : topics) {
    list.push_back(
        {{"name", t.name}, {"topic_id", model::to_string(t.id)}, {"partitions", t.partitions}, {"configs", t.configs}});
  }
  const nlohmann::json j = {{"version", 1}, {"topics", list}};
  return j.dump(2) + "\n";
}

result<topic_map> read_topic_metadata(io::file_system& fs, const std::filesystem::path& file) {
  auto bytes = io::read_whole_file(fs, file);
  if (!bytes) return base::failure(errc::io_error);
  topic_map out;
  try {
    const auto j = nlohmann::json::parse(bytes->begin(), bytes->end());
    if (j.at("version").get<int>() != 1) return base::failure(errc::corrupt_log);
    for (const auto& t : j.at("topics")) {
      topic_info info;
      info.name = t.at("name").get<std::string>();
      auto id = model::uuid_from_string(t.at("topic_id").get<std::string>());
      if (!id) return base::failure(errc::corrupt_log);
      info.id = *id;
      info.partitions = t.at("partitions").get<std::int32_t>();
      info.configs = t.at("configs").get<config_overrides>();
      out.emplace(info.name, std::move(info));
    }
  } catch (const nlohmann::json::exception& e) {
    SPATE_LOG_ERROR("event=topic_metadata_corrupt path={} error=\"{}\"", file.string(), e.what());
    return base::failure(errc::corrupt_log);
  }
  return out;
}

}  // namespace spate::storage
