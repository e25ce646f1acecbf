#pragma once
// Topics as the data directory records them: ids, and `spate-topics.json` (name, topic id,
// partition count, config overrides; docs/storage-format.md). Pure encoding and decoding plus
// one read; log_manager decides when to read and write the file. Thread-safe (no shared state).
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "io/file.h"
#include "model/uuid.h"
#include "storage/errc.h"
#include "storage/log_config.h"

namespace spate::storage {

using model::topic_id;

struct topic_info {
  std::string name;
  topic_id id{};
  std::int32_t partitions = 0;
  config_overrides configs;  // the topic's overrides only, as given
  friend bool operator==(const topic_info&, const topic_info&) = default;
};

using topic_map = std::map<std::string, topic_info>;  // by name

// The contents of spate-topics.json for `topics`.
std::string encode_topic_metadata(const topic_map& topics);
// Reads and decodes `file`. Errors: io_error; corrupt_log for a bad version, id or JSON.
result<topic_map> read_topic_metadata(io::file_system& fs, const std::filesystem::path& file);

}  // namespace spate::storage
