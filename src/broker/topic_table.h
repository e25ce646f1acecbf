#pragma once
// The broker's set of topics: name, id and partition count. Thread-safe: every member function takes
// mutex_, and callers get immutable snapshots (shared_ptr<const topic_info>) they may keep.
// Storage will become the source of truth for topics once partition logs exist; until then topics
// come from the config file and auto-creation and live in memory.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/types.h"

namespace spate::broker {

struct topic_info {
  std::string name;
  protocol::uuid id;
  std::int32_t partitions = 0;
  bool internal = false;
};

enum class create_topic_outcome { created, already_exists, invalid_name, invalid_partitions };

class topic_table {
 public:
  std::shared_ptr<const topic_info> find(std::string_view name) const;
  std::shared_ptr<const topic_info> find(const protocol::uuid& id) const;
  // All topics, ordered by name.
  std::vector<std::shared_ptr<const topic_info>> list() const;
  create_topic_outcome create(std::string_view name, std::int32_t partitions, bool internal = false);

  // Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], and not "." or "..".
  static bool valid_name(std::string_view name);

 private:
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::map<std::string, std::shared_ptr<const topic_info>, std::less<>> by_name_;
};

}  // namespace spate::broker
