// The group coordinator's view for the lag monitor (coordinator.h).
#include "group/coordinator.h"
#include "group/group_state.h"

namespace spate::group {

std::vector<group_lag_snapshot> coordinator::lag_snapshot() const {
  std::lock_guard lock(_mutex);
  std::vector<group_lag_snapshot> out;
  for (const auto& [id, g] : _groups) {
    if (g->offsets.empty() || g->is(group_phase::dead)) continue;
    auto& snap = out.emplace_back();
    snap.group_id = id;
    snap.state = phase_name(g->phase);
    snap.protocol_type = g->protocol_type.value_or("");
    snap.members.reserve(g->members.size());
    for (const auto& [mid, m] : g->members)
      snap.members.push_back({mid, m.client_id, m.client_host, m.last_heartbeat_ms, m.assignment});
    snap.offsets.reserve(g->offsets.size());
    for (const auto& [tp, stored] : g->offsets)
      snap.offsets.push_back({tp, stored.value.offset, stored.value.commit_timestamp});
  }
  return out;
}

}  // namespace spate::group
