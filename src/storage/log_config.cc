#include "storage/log_config.h"

#include "storage/topic_config_table.h"

namespace spate::storage {

result<cleanup_policy_flags> parse_cleanup_policy(std::string_view value) {
  // Exactly the spellings Kafka's tools write; a list with blanks is valid Kafka but refused here,
  // so what is stored is always one of these four (broker/ reports it as storage's refusal).
  if (value == "delete") return cleanup_policy_flags{false, true};
  if (value == "compact") return cleanup_policy_flags{true, false};
  if (value == "compact,delete" || value == "delete,compact") return cleanup_policy_flags{true, true};
  return base::failure(errc::invalid_config);
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
