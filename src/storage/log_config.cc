#include "storage/log_config.h"

#include "storage/topic_config_table.h"

namespace spate::storage {

result<cleanup_policy_flags> parse_cleanup_policy(std::string_view value) {
  cleanup_policy_flags out;
  const auto items = split_config_list(value);
  if (items.empty() || items.size() > 2) return base::failure(errc::invalid_config);
  for (const auto item : items) {
    bool& flag = item == "compact" ? out.compact : out.delete_enabled;
    if ((item != "compact" && item != "delete") || flag) return base::failure(errc::invalid_config);
    flag = true;
  }
  return out;
}

bool log_config::compact() const {
  const auto p = parse_cleanup_policy(cleanup_policy);
  return p && p->compact;
}

bool log_config::delete_enabled() const {
  const auto p = parse_cleanup_policy(cleanup_policy);
  return p && p->delete_enabled;
}

result<log_config> apply_overrides(const log_config& base, const config_overrides& overrides) {
  log_config c = base;
  for (const auto& [name, value] : overrides) {
    const auto* row = find_topic_config(name);
    if (!row || !row->storage_acts_on_it()) continue;
    if (value_problem(*row, value) || !row->field.set(c, value)) return base::failure(errc::invalid_config);
  }
  return c;
}

}  // namespace spate::storage
