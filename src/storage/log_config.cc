#include "storage/log_config.h"

#include "storage/topic_config_table.h"

namespace spate::storage {

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
