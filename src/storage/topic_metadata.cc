#include "storage/topic_metadata.h"

#include <random>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/mutex.h"

namespace spate::storage {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

topic_id random_topic_id() {
  static base::mutex m;
  static std::random_device rd;
  static std::mt19937_64 gen(rd());
  base::mutex_lock lock(m);
  topic_id id;
  for (;;) {
    for (std::size_t i = 0; i < 16; i += 8) {
      const auto v = gen();
      for (std::size_t j = 0; j < 8; ++j) id[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
    }
    // Kafka reserves the zero id and the one with only the lowest bit set.
    topic_id zero{};
    topic_id one{};
    one[15] = 1;
    if (id != zero && id != one) return id;
  }
}

std::string topic_id_to_string(const topic_id& id) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (auto b : id) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kBase64Url[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kBase64Url[(acc << (6 - bits)) & 0x3f];
  return out;
}

std::optional<topic_id> topic_id_from_string(std::string_view s) {
  if (s.size() != 22) return std::nullopt;
  topic_id id{};
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (char c : s) {
    const char* p = std::char_traits<char>::find(kBase64Url, 64, c);
    if (!p) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kBase64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n < 16) id[n++] = static_cast<std::uint8_t>(acc >> bits);
    }
  }
  if (n != 16) return std::nullopt;
  return id;
}

std::string encode_topic_metadata(const topic_map& topics) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, t] : topics) {
    list.push_back({{"name", t.name},
                    {"topic_id", topic_id_to_string(t.id)},
                    {"partitions", t.partitions},
                    {"configs", t.configs}});
  }
  const nlohmann::json j = {{"version", 1}, {"topics", list}};
  return j.dump(2) + "\n";
}

result<topic_map> read_topic_metadata(io::file_system& fs, const std::filesystem::path& file) {
  auto bytes = io::read_whole_file(fs, file);
  if (!bytes) return base::failure(errc::io_error);
  topic_map out;
  try {
    const auto j = nlohmann::json::parse(bytes->begin(), bytes->end());
    if (j.at("version").get<int>() != 1) return base::failure(errc::corrupt_log);
    for (const auto& t : j.at("topics")) {
      topic_info info;
      info.name = t.at("name").get<std::string>();
      auto id = topic_id_from_string(t.at("topic_id").get<std::string>());
      if (!id) return base::failure(errc::corrupt_log);
      info.id = *id;
      info.partitions = t.at("partitions").get<std::int32_t>();
      info.configs = t.at("configs").get<config_overrides>();
      out.emplace(info.name, std::move(info));
    }
  } catch (const nlohmann::json::exception& e) {
    SPATE_LOG_ERROR("event=topic_metadata_corrupt path={} error=\"{}\"", file.string(), e.what());
    return base::failure(errc::corrupt_log);
  }
  return out;
}

}  // namespace spate::storage
