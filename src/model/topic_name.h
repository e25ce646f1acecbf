#pragma once
// Topic-name rules and the names of Kafka's internal topics.
#include <string_view>

namespace spate::model {

// Kafka's internal topics: shown with is_internal in Metadata, not writable by clients.
inline constexpr std::string_view consumer_offsets_topic = "__consumer_offsets";
inline constexpr std::string_view transaction_state_topic = "__transaction_state";

inline bool is_internal_topic(std::string_view name) {
  return name == consumer_offsets_topic || name == transaction_state_topic;
}

// Kafka's topic name rule (Topic.validate): 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
bool is_valid_topic_name(std::string_view name);

}  // namespace spate::model
