#include "group/group_state.h"

#include <algorithm>

#include "protocol/messages/consumer_protocol_subscription.h"
#include "protocol/wire.h"

namespace spate::group {

std::string_view phase_name(group_phase p) {
  switch (p) {
    case group_phase::empty: return "Empty";
    case group_phase::preparing_rebalance: return "PreparingRebalance";
    case group_phase::completing_rebalance: return "CompletingRebalance";
    case group_phase::stable: return "Stable";
    case group_phase::dead: return "Dead";
  }
  return "Unknown";
}

const base::byte_buffer* member_state::metadata_for(std::string_view protocol) const {
  for (const auto& p : protocols) {
    if (p.name == protocol) return &p.metadata;
  }
  return nullptr;
}

bool group_state::all_members_joined() const {
  return pending_members.empty() &&
         std::all_of(members.begin(), members.end(), [](const auto& m) { return bool(m.second.awaiting_join); });
}

bool group_state::has_txn_offset(const topic_partition& tp) const {
  return std::any_of(txn_offsets.begin(), txn_offsets.end(), [&tp](const auto& p) { return p.second.contains(tp); });
}

bool group_state::drop_txn_offsets(const topic_partition& tp) {
  bool dropped = false;
  for (auto it = txn_offsets.begin(); it != txn_offsets.end();) {
    dropped |= it->second.erase(tp) > 0;
    it = it->second.empty() ? txn_offsets.erase(it) : std::next(it);
  }
  return dropped;
}

bool group_state::supports_protocols(std::string_view type, const std::vector<join_protocol>& protocols) const {
  // Kafka's GroupMetadata.supportsProtocols: an Empty group takes any type; otherwise the type
  // must match (even once every member has left during a rebalance).
  if (is(group_phase::empty)) return !type.empty() && !protocols.empty();
  if (protocol_type != type) return false;
  return std::any_of(protocols.begin(), protocols.end(), [this](const join_protocol& p) {
    return std::all_of(members.begin(), members.end(),
                       [&p](const auto& m) { return m.second.metadata_for(p.name) != nullptr; });
  });
}

std::string group_state::select_protocol() const {
  // Candidates: protocols every member supports, in the leader's (else any member's) order.
  const member_state* reference = nullptr;
  if (leader) {
    if (auto it = members.find(*leader); it != members.end()) reference = &it->second;
  }
  if (!reference && !members.empty()) reference = &members.begin()->second;
  if (!reference) return {};
  std::vector<std::string> candidates;
  for (const auto& p : reference->protocols) {
    if (std::all_of(members.begin(), members.end(),
                    [&p](const auto& m) { return m.second.metadata_for(p.name) != nullptr; })) {
      candidates.push_back(p.name);
    }
  }
  if (candidates.empty()) return {};
  // Each member votes for the candidate it lists first.
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members) {
    for (const auto& p : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const auto& c : candidates) {
    if (votes[c] > votes[best]) best = c;
  }
  return best;
}

std::int32_t group_state::rebalance_timeout_ms() const {
  std::int32_t longest = 0;
  for (const auto& [id, m] : members) longest = std::max(longest, m.rebalance_timeout_ms);
  return longest;
}

std::optional<std::set<std::string>> group_state::subscribed_topics() const {
  if (protocol_type != "consumer" || !protocol_name) return std::nullopt;
  std::set<std::string> topics;
  for (const auto& [id, m] : members) {
    const auto* metadata = m.metadata_for(*protocol_name);
    if (!metadata) return std::nullopt;
    try {
      protocol::reader r(*metadata);
      const auto version = r.read_int16();
      if (version < 0) return std::nullopt;
      // Later versions only append fields: read what we know (Kafka does the same).
      protocol::consumer_protocol_subscription subscription;
      subscription.decode(
          r, std::min<std::int16_t>(version, protocol::consumer_protocol_subscription::max_version));
      topics.insert(subscription.topics.begin(), subscription.topics.end());
    } catch (const protocol::decode_error&) {
      return std::nullopt;
    }
  }
  return topics;
}

}  // namespace spate::group
