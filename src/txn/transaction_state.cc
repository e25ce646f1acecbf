#include "txn/transaction_state.h"

#include <array>

namespace spate::txn {
namespace {

// Indexed by the state's id.
constexpr std::array<std::string_view, 8> names = {
    "Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
    "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence",
};

}  // namespace

std::string_view status_name(transaction_status s) {
  const auto id = static_cast<std::size_t>(s);
  return id < names.size() ? names[id] : "Unknown";
}

std::optional<transaction_status> status_from_name(std::string_view name) {
  for (std::size_t id = 0; id < names.size(); ++id) {
    if (names[id] == name) return static_cast<transaction_status>(id);
  }
  return std::nullopt;
}

std::optional<transaction_status> status_from_id(std::int8_t id) {
  if (id < 0 || static_cast<std::size_t>(id) >= names.size()) return std::nullopt;
  return static_cast<transaction_status>(id);
}

}  // namespace spate::txn
