#include "storage/checkpoint.h"

#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "base/log.h"

namespace spate::storage {

std::string encode_checkpoint(const offset_checkpoint& offsets) {
  std::string out = fmt::format("0\n{}\n", offsets.size());
  for (const auto& [tp, offset] : offsets) out += fmt::format("{} {} {}\n", tp.topic, tp.partition, offset);
  return out;
}

std::optional<offset_checkpoint> decode_checkpoint(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != "0") return std::nullopt;
  std::size_t count = 0;
  if (!std::getline(in, line)) return std::nullopt;
  {
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), count);
    if (ec != std::errc() || p != line.data() + line.size()) return std::nullopt;
  }
  offset_checkpoint out;
  for (std::size_t i = 0; i < count; ++i) {
    if (!std::getline(in, line)) return std::nullopt;
    std::istringstream fields(line);
    std::string topic;
    std::int32_t partition;
    std::int64_t offset;
    if (!(fields >> topic >> partition >> offset)) return std::nullopt;
    out[{topic, partition}] = offset;
  }
  return out;
}

offset_checkpoint read_checkpoint(io::file_system& fs, const std::filesystem::path& path) {
  auto exists = fs.exists(path);
  if (!exists || !*exists) return {};
  auto bytes = io::read_whole_file(fs, path);
  if (!bytes) {
    SPATE_LOG_WARN("event=checkpoint_unreadable path={} error=\"{}\"", path.string(), bytes.error().message());
    return {};
  }
  auto decoded = decode_checkpoint(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!decoded) {
    SPATE_LOG_WARN("event=checkpoint_corrupt path={}", path.string());
    return {};
  }
  return *decoded;
}

result<void> write_checkpoint(io::file_system& fs, const std::filesystem::path& path,
                              const offset_checkpoint& offsets) {
  const auto text = encode_checkpoint(offsets);
  auto r = io::write_file_atomically(
      fs, path, base::byte_span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  if (!r) {
    SPATE_LOG_ERROR("event=checkpoint_write_failed path={} error=\"{}\"", path.string(), r.error().message());
    return base::failure(errc::io_error);
  }
  return {};
}

}  // namespace spate::storage
