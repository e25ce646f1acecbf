#pragma once
// The lag status of a partition or group (docs/lag.md has the machine), and its mapping to
// Burrow's statuses for the compatible API.
#include <cstdint>
#include <optional>
#include <string_view>

namespace spate::lag {

// Declared in order of severity: a group's status is its worst partition's.
enum class status : std::uint8_t {
  idle,        // nothing new to read; never an alarm
  ok,          // consuming, lag bounded
  recovering,  // lag shrinking after stopped/stalled/slow, until back to ok
  slow,        // lag growing over the window
  rewound,     // committed offset moved backwards
  stalled,     // members alive and owning the partition, committed offset not moving, lag > 0
  stopped,     // no live member, lag > 0
};

std::string_view to_string(status s);  // "OK", "IDLE", "RECOVERING", "SLOW", "REWOUND", "STALLED", "STOPPED"
std::optional<status> status_from_string(std::string_view text);
// Burrow's partition statuses: OK, WARN, STOP, STALL, REWIND.
std::string_view burrow_partition_status(status s);
// Burrow's group statuses: OK, WARN, ERR (a partition stopped, stalled or rewound).
std::string_view burrow_group_status(status s);

}  // namespace spate::lag
