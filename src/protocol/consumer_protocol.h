#pragma once
// Decodes the classic consumer protocol's member assignment (the bytes a group leader hands each
// member in SyncGroup): int16 version, then ConsumerProtocolAssignment.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace spate::protocol {

struct member_assignment {
  std::int16_t version = 0;
  std::vector<std::pair<std::string, std::vector<std::int32_t>>> partitions;  // topic, partitions
  std::size_t user_data_size = 0;
};

// nullopt for empty bytes (a member between rebalances). Throws std::runtime_error on bytes that are
// not a consumer protocol assignment. Versions newer than the schema are read as the newest known
// version (Kafka's rule: later versions only append fields).
std::optional<member_assignment> decode_member_assignment(std::span<const std::uint8_t> bytes);

// "topic:0,1,2 other:3" for tables.
std::string assignment_text(const member_assignment& a);

}  // namespace spate::protocol
