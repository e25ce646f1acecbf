#include "broker/handlers/fetch/session.h"

#include <utility>

namespace spate::broker::fetch {
namespace {

std::vector<fetch_session_partition> requested_partitions(const fetch_handler::request& req, bool uses_topic_ids) {
  std::vector<fetch_session_partition> out;
  for (const auto& topic : req.topics) {
    for (const auto& p : topic.partitions) {
      fetch_session_partition s;
      if (uses_topic_ids) {
        s.key.topic_id = topic.topic_id;
      } else {
        s.key.topic = topic.topic;
      }
      s.key.partition = p.partition;
      s.fetch_offset = p.fetch_offset;
      s.max_bytes = p.partition_max_bytes;
      s.current_leader_epoch = p.current_leader_epoch;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<fetch_partition_key> forgotten_partitions(const fetch_handler::request& req, bool uses_topic_ids) {
  std::vector<fetch_partition_key> out;
  for (const auto& topic : req.forgotten_topics_data) {
    for (auto p : topic.partitions) {
      fetch_partition_key key;
      if (uses_topic_ids) {
        key.topic_id = topic.topic_id;
      } else {
        key.topic = topic.topic;
      }
      key.partition = p;
      out.push_back(std::move(key));
    }
  }
  return out;
}

}  // namespace

fetch_session_cache::context open_session(broker& services, const fetch_handler::request& req, std::int16_t version) {
  const bool uses_topic_ids = version >= 13;
  auto requested = requested_partitions(req, uses_topic_ids);
  fetch_session_cache::context session;
  if (version >= 7) {
    session = services.fetch_sessions().begin(req.session_id, req.session_epoch, uses_topic_ids, std::move(requested),
                                              forgotten_partitions(req, uses_topic_ids));
  } else {
    session.partitions = std::move(requested);
  }
  return session;
}

session_answer close_session(broker& services, const fetch_session_cache::context& session,
                             const std::vector<target>& targets, const std::vector<partition_data>& parts,
                             bool uses_topic_ids) {
  session_answer answer;
  answer.include.assign(targets.size(), true);
  if (session.type == fetch_session_cache::kind::incremental) {
    std::vector<fetch_partition_key> keys;
    std::vector<fetch_partition_outcome> outcomes;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      keys.push_back(targets[i].wanted->key);
      outcomes.push_back(
          {!parts[i].records->empty(), parts[i].error_code, parts[i].high_watermark, parts[i].log_start_offset});
    }
    answer.include = services.fetch_sessions().select(session.session_id, keys, outcomes);
    answer.session_id = session.session_id;
  } else if (session.type == fetch_session_cache::kind::full) {
    auto cached = session.partitions;
    for (std::size_t i = 0; i < cached.size(); ++i) {
      // Errors are re-sent once they go away (Kafka caches an invalid high watermark for them).
      cached[i].high_watermark = parts[i].error_code != 0 ? -1 : parts[i].high_watermark;
      cached[i].log_start_offset = parts[i].log_start_offset;
    }
    answer.session_id = services.fetch_sessions().create(uses_topic_ids, std::move(cached));
  }
  return answer;
}

}  // namespace spate::broker::fetch
