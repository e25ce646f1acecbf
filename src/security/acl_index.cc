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

}  // namespace spate::security
