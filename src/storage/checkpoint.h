#pragma once
// Kafka's offset checkpoint files (recovery-point-offset-checkpoint, log-start-offset-checkpoint),
// text, in Kafka's format so its tools read them:
//   0                       version
//   2                       number of entries
//   orders 0 1234           <topic> <partition> <offset>
//   orders 1 99
// Written crash-safely (io::write_file_atomically). Pure functions plus one read and one write.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "io/file.h"
#include "model/topic_partition.h"
#include "storage/errc.h"

namespace spate::storage {

using offset_checkpoint = std::map<model::topic_partition, std::int64_t>;

std::string encode_checkpoint(const offset_checkpoint& offsets);
// nullopt when the text is not a valid version-0 checkpoint.
std::optional<offset_checkpoint> decode_checkpoint(std::string_view text);

// A missing file is an empty checkpoint; an unreadable or corrupt one too (with a warning): both
// only cost a longer recovery.
offset_checkpoint read_checkpoint(io::file_system& fs, const std::filesystem::path& path);
result<void> write_checkpoint(io::file_system& fs, const std::filesystem::path& path,
                              const offset_checkpoint& offsets);

}  // namespace spate::storage
