#include "model/uuid.h"

#include <mutex>
#include <random>

namespace spate::model {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

uuid random_uuid() {
  static std::mutex m;
  static std::random_device rd;
  static std::mt19937_64 gen(rd());
  std::lock_guard lock(m);
  uuid id;
  uuid one;
  one.value[15] = 1;
  for (;;) {
    for (std::size_t i = 0; i < 16; i += 8) {
      const auto v = gen();
      for (std::size_t j = 0; j < 8; ++j) id.value[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
    }
    if (!id.is_nil() && id != one) return id;
  }
}

std::string to_string(const uuid& id) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (auto b : id.value) {
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

std::optional<uuid> uuid_from_string(std::string_view text) {
  if (text.size() != 22) return std::nullopt;
  uuid id;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (char c : text) {
    const char* p = std::char_traits<char>::find(kBase64Url, 64, c);
    if (!p) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kBase64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n < 16) id.value[n++] = static_cast<std::uint8_t>(acc >> bits);
    }
  }
  if (n != 16) return std::nullopt;
  return id;
}

}  // namespace spate::model
