#include "lag/status.h"

#include <array>
#include <utility>

namespace spate::lag {

namespace {
constexpr std::array<std::pair<status, std::string_view>, 7> names{{
    {status::idle, "IDLE"},
    {status::ok, "OK"},
    {status::recovering, "RECOVERING"},
    {status::slow, "SLOW"},
    {status::rewound, "REWOUND"},
    {status::stalled, "STALLED"},
    {status::stopped, "STOPPED"},
}};
}  // namespace

std::string_view to_string(status s) {
  for (const auto& [value, name] : names) {
    if (value == s) return name;
  }
  return "UNKNOWN";
}

std::optional<status> status_from_string(std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view burrow_partition_status(status s) {
  switch (s) {
    case status::idle:
    case status::ok:
    case status::recovering: return "OK";
    case status::slow: return "WARN";
    case status::rewound: return "REWIND";
    case status::stalled: return "STALL";
    case status::stopped: return "STOP";
  }
  return "OK";
}

std::string_view burrow_group_status(status s) {
  switch (s) {
    case status::idle:
    case status::ok:
    case status::recovering: return "OK";
    case status::slow: return "WARN";
    case status::rewound:
    case status::stalled:
    case status::stopped: return "ERR";
  }
  return "OK";
}

}  // namespace spate::lag
