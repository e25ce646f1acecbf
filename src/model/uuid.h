#pragma once
// Kafka's uuid (topic ids, cluster ids, directory ids): 16 raw bytes. The wire type
// (protocol::uuid) and the stored topic id (storage::topic_info::id) are this one type.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::model {

struct uuid {
  std::array<std::uint8_t, 16> value{};

  // Kafka's ZERO_UUID: "no id".
  static constexpr uuid nil() { return uuid{}; }
  constexpr bool is_nil() const {
    for (auto b : value) {
      if (b != 0) return false;
    }
    return true;
  }
  friend bool operator==(const uuid&, const uuid&) = default;
  friend auto operator<=>(const uuid&, const uuid&) = default;
};

using topic_id = uuid;

// A random id that is neither of the two Kafka reserves (ZERO_UUID, METADATA_TOPIC_ID = 0...01).
// Thread-safe.
uuid random_uuid();

// Kafka's text form: unpadded base64url, 22 characters.
std::string to_string(const uuid& id);
std::optional<uuid> uuid_from_string(std::string_view text);

}  // namespace spate::model
