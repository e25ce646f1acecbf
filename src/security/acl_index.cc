#include "security/acl_index.h"

#include <algorithm>

namespace spate::security {

acl_index::acl_index(std::vector<acl_binding> bindings) : _bindings(std::move(bindings)) {
  std::sort(_bindings.begin(), _bindings.end());
  _bindings.erase(std::unique(_bindings.begin(), _bindings.end()), _bindings.end());
  for (const auto& b : _bindings) {
    const auto t = static_cast<std::size_t>(b.pattern.type);
    // Invariant: only valid bindings (validate_binding) reach the index.
    SPATE_ASSERT(t < _by_type.size(), "acl_index: resource type out of range");
    auto& slot = _by_type[t];
    if (b.pattern.pattern == pattern_type::prefixed) {
      slot.prefixed[b.pattern.name].push_back(b.entry);
      slot.prefix_lengths.push_back(b.pattern.name.size());
    } else {
      slot.literal[b.pattern.name].push_back(b.entry);
    }
  }
  for (auto& slot : _by_type) {
    std::sort(slot.prefix_lengths.begin(), slot.prefix_lengths.end());
    slot.prefix_lengths.erase(std::unique(slot.prefix_lengths.begin(), slot.prefix_lengths.end()),
                              slot.prefix_lengths.end());
  }
}

void acl_index::for_each_applicable(resource_type type, std::string_view name,
                                    const std::function<bool(const access_control_entry&)>& visit) const {
  const auto t = static_cast<std::size_t>(type);
  if (t >= _by_type.size()) return;
  const auto& slot = _by_type[t];
  auto visit_all = [&](const entry_map& map, std::string_view key) {
    const auto it = map.find(key);
    if (it == map.end()) return true;
    for (const auto& e : it->second) {
      if (!visit(e)) return false;
    }
    return true;
  };
  if (!visit_all(slot.literal, name)) return;
  if (name != wildcard_resource && !visit_all(slot.literal, wildcard_resource)) return;
  for (const auto len : slot.prefix_lengths) {
    if (len > name.size()) break;
    if (!visit_all(slot.prefixed, name.substr(0, len))) return;
  }
}

}  // namespace spate::security
