#include "broker/handlers/fetch/response.h"

#include <array>
#include <map>
#include <string>
#include <utility>

namespace spate::broker::fetch {

void add_partitions(const std::vector<target>& targets, const std::vector<bool>& include,
                    std::vector<partition_data>& parts, bool uses_topic_ids, fetch_handler::response& resp) {
  std::map<std::pair<std::string, std::array<std::uint8_t, 16>>, std::size_t> topic_index;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!include[i]) continue;
    const auto& key = targets[i].wanted->key;
    const auto [it, added] = topic_index.try_emplace({key.topic, key.topic_id.value}, resp.responses.size());
    if (added) {
      auto& topic = resp.responses.emplace_back();
      topic.topic = uses_topic_ids ? targets[i].topic : key.topic;
      topic.topic_id = key.topic_id;
    }
    resp.responses[it->second].partitions.push_back(std::move(parts[i]));
  }
}

}  // namespace spate::broker::fetch
