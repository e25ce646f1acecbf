#pragma once
// One partition of one topic: the key every module uses for a partition (Kafka's TopicPartition).
#include <compare>
#include <cstdint>
#include <string>

namespace spate::model {

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
};

}  // namespace spate::model
