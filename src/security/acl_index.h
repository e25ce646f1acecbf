#pragma once
// An immutable index of ACL bindings for the authorizer's question "which ACLs apply to this
// resource?", asked on every request. Per resource type: a hash map from LITERAL name (including
// "*") to its entries, and a hash map from PREFIXED prefix to its entries together with the
// distinct prefix lengths in use, so a lookup costs one hash probe for the name, one for "*",
// and one per distinct prefix length (not one per prefixed ACL). Built once per change of the
// ACLs and shared as std::shared_ptr<const acl_index>: immutable, so thread-safe.
#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "security/acl.h"

namespace spate::security {

class acl_index {
 public:
  acl_index() = default;
  // Bindings must be valid (validate_binding); duplicates are kept once.
  explicit acl_index(std::vector<acl_binding> bindings);

  // Calls `visit(entry)` (returning bool) for every ACL whose pattern applies to the resource
  // (`type`, `name`): LITERAL `name`, LITERAL "*", PREFIXED p where `name` starts with p. Stops
  // early when `visit` returns false. A template, not a std::function: the authorizer's visitor
  // captures more than std::function stores inline, and this runs for every request.
  template <typename Visit>
  void for_each_applicable(resource_type type, std::string_view name, Visit&& visit) const;

  // Every binding, sorted (for DescribeAcls, DeleteAcls and the file).
  const std::vector<acl_binding>& bindings() const { return _bindings; }

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using entry_map = std::unordered_map<std::string, std::vector<access_control_entry>, string_hash, std::equal_to<>>;
  struct per_type {
    entry_map literal;
    entry_map prefixed;
    std::vector<std::size_t> prefix_lengths;  // sorted, distinct
  };

  std::vector<acl_binding> _bindings;
  std::array<per_type, 8> _by_type;  // indexed by resource_type code
};

template <typename Visit>
void acl_index::for_each_applicable(resource_type type, std::string_view name, Visit&& visit) const {
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
