#include "security/plain.h"

#include <nlohmann/json.hpp>

#include "security/crypto.h"

namespace spate::security {
namespace {

auto bad(std::string message) { return fail(errc::authentication_failed, std::move(message)); }

}  // namespace

result<plain_message> parse_plain(std::string_view message) {
  if (message.size() > plain_max_message_size) return bad("Invalid SASL/PLAIN response: too long");
  const auto first = message.find('\0');
  const auto second = first == std::string_view::npos ? first : message.find('\0', first + 1);
  if (second == std::string_view::npos || message.find('\0', second + 1) != std::string_view::npos) {
    return bad("Invalid SASL/PLAIN response: expected 3 tokens");
  }
  plain_message m{
      .authzid = std::string(message.substr(0, first)),
      .username = std::string(message.substr(first + 1, second - first - 1)),
      .password = std::string(message.substr(second + 1)),
  };
  // Kafka's PlainSaslServer messages.
  if (m.username.empty()) return bad("Authentication failed: username not specified");
  if (m.password.empty()) return bad("Authentication failed: password not specified");
  if (!m.authzid.empty() && m.authzid != m.username) {
    return bad("Authentication failed: Client requested an authorization id that is different from username");
  }
  return m;
}

result<plain_users> plain_users::from_json(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("users") || !json["users"].is_object()) {
    return fail(errc::corrupt_file, "PLAIN users file: expected {\"users\": {name: password}}");
  }
  plain_users users;
  for (const auto& [name, password] : json["users"].items()) {
    if (name.empty() || !password.is_string() || password.get_ref<const std::string&>().empty()) {
      return fail(errc::corrupt_file, "PLAIN users file: user '" + name + "' needs a non-empty password string");
    }
    users._users.emplace(name, hash(hash_algorithm::sha256, password.get_ref<const std::string&>()));
  }
  return users;
}

result<plain_users> plain_users::load(io::file_system& fs, const std::filesystem::path& path) {
  auto bytes = io::read_whole_file(fs, path);
  if (!bytes) return fail(errc::io_error, "reading " + path.string() + ": " + bytes.error().message());
  return from_json(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
}

bool plain_users::verify(std::string_view username, std::string_view password) const {
  static const std::string dummy = hash(hash_algorithm::sha256, "no such user");
  const auto it = _users.find(std::string(username));
  const std::string& expected = it == _users.end() ? dummy : it->second;
  const bool match = constant_time_equal(hash(hash_algorithm::sha256, password), expected);
  return match && it != _users.end();
}

result<std::string> authenticate_plain(std::string_view message, const plain_users& users) {
  auto parsed = parse_plain(message);
  if (!parsed) return base::failure(parsed.error());
  if (!users.verify(parsed->username, parsed->password))
    return bad("Authentication failed: Invalid username or password");
  return std::move(parsed->username);
}

}  // namespace spate::security
