#pragma once
// Partition leader epochs on a single broker: every partition has had exactly one leader (this
// broker) in epoch 0, which Metadata reports and Produce stamps into every stored batch.
#include <cstdint>

#include "protocol/error_code.h"

namespace spate::broker {

inline constexpr std::int32_t partition_leader_epoch = 0;
inline constexpr std::int32_t no_leader_epoch = -1;

// Kafka's check of a client's current_leader_epoch (Partition.checkCurrentLeaderEpoch): -1 skips
// the check; an older epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH.
inline protocol::error_code check_current_leader_epoch(std::int32_t current_leader_epoch) {
  if (current_leader_epoch == no_leader_epoch) return protocol::error_code::none;
  if (current_leader_epoch < partition_leader_epoch) return protocol::error_code::fenced_leader_epoch;
  if (current_leader_epoch > partition_leader_epoch) return protocol::error_code::unknown_leader_epoch;
  return protocol::error_code::none;
}

}  // namespace spate::broker
