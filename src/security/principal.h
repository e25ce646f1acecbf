#pragma once
// Kafka principals: "<type>:<name>", "User:alice" for an authenticated user, "User:ANONYMOUS"
// without authentication, "User:*" in an ACL for everyone (KafkaPrincipal; parsed as Kafka's
// SecurityUtils.parseKafkaPrincipal does, splitting at the first ':'). Value type; thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace spate::security {

inline constexpr std::string_view user_type = "User";
inline constexpr std::string_view wildcard_principal = "User:*";
inline constexpr std::string_view anonymous_principal = "User:ANONYMOUS";

struct principal {
  std::string type{user_type};
  std::string name;

  std::string to_string() const { return type + ":" + name; }
  friend bool operator==(const principal&, const principal&) = default;
};

inline principal user(std::string name) { return principal{std::string(user_type), std::move(name)}; }

// nullopt unless the text is "<type>:<name>" with both parts non-empty.
std::optional<principal> parse_principal(std::string_view text);

}  // namespace spate::security
