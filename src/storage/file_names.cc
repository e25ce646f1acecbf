#include "storage/file_names.h"

#include "model/topic_name.h"

#include <charconv>

#include <fmt/format.h>

namespace spate::storage {

std::string offset_file_stem(std::int64_t base_offset) { return fmt::format("{:020d}", base_offset); }
std::string log_file_name(std::int64_t o) { return offset_file_stem(o) + std::string(log_suffix); }
std::string index_file_name(std::int64_t o) { return offset_file_stem(o) + std::string(index_suffix); }
std::string time_index_file_name(std::int64_t o) {
  return offset_file_stem(o) + std::string(time_index_suffix);
}

std::string txn_index_file_name(std::int64_t o) { return offset_file_stem(o) + std::string(txn_index_suffix); }
std::string snapshot_file_name(std::int64_t o) { return offset_file_stem(o) + std::string(snapshot_suffix); }

std::string partition_dir_name(std::string_view topic, std::int32_t partition) {
  return fmt::format("{}-{}", topic, partition);
}

std::string delete_dir_name(std::string_view topic, std::int32_t partition, std::string_view unique) {
  return fmt::format("{}-{}.{}{}", topic, partition, unique, delete_dir_suffix);
}

std::optional<std::int64_t> parse_segment_file_name(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || !name.ends_with(suffix)) return std::nullopt;
  std::int64_t v = 0;
  const auto* first = name.data();
  const auto* last = name.data() + 20;
  for (const auto* p = first; p != last; ++p)
    if (*p < '0' || *p > '9') return std::nullopt;
  auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return v;
}

bool is_delete_dir_name(std::string_view name) { return name.ends_with(delete_dir_suffix); }

std::optional<model::topic_partition> parse_partition_dir_name(std::string_view name) {
  if (is_delete_dir_name(name)) return std::nullopt;
  const auto dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  const auto topic = name.substr(0, dash);
  const auto digits = name.substr(dash + 1);
  std::int32_t partition = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || partition < 0) return std::nullopt;
  if (!model::is_valid_topic_name(topic)) return std::nullopt;
  return model::topic_partition{std::string(topic), partition};
}

}  // namespace spate::storage
