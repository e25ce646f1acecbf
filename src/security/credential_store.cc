#include "security/credential_store.h"

#include <nlohmann/json.hpp>
#include <set>

#include "security/base64.h"
#include "security/crypto.h"

namespace spate::security {
namespace {

constexpr int file_version = 1;

base::byte_span as_bytes(const std::string& s) {
  return base::byte_span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Why one alteration of a user is refused (nullopt: acceptable), in Kafka's words (KIP-554).
std::optional<error> check_upsertion(const credential_store::upsertion& u) {
  if (u.user.empty()) return error{errc::unacceptable_credential, "Username must not be empty"};
  if (!mechanism_from_code(u.mechanism)) return error{errc::unsupported_mechanism, "Unknown SCRAM mechanism"};
  if (u.iterations < scram_min_iterations) return error{errc::unacceptable_credential, "Too few iterations"};
  if (u.iterations > scram_max_iterations) return error{errc::unacceptable_credential, "Too many iterations"};
  if (u.salt.empty()) return error{errc::unacceptable_credential, "Salt must not be empty"};
  if (u.salted_password.empty()) return error{errc::unacceptable_credential, "Salted password must not be empty"};
  return std::nullopt;
}

}  // namespace

std::string encode_credentials(std::string_view secret, const credential_store::table& users) {
  nlohmann::ordered_json json;
  json["version"] = file_version;
  json["fake_credential_secret"] = base64_encode(secret);
  auto& out = json["users"] = nlohmann::ordered_json::object();
  for (const auto& [user, credentials] : users) {
    auto& entry = out[user] = nlohmann::ordered_json::object();
    for (const auto& [mechanism, c] : credentials) {
      entry[std::string(mechanism_name(mechanism))] = {
          {"salt", base64_encode(c.salt)},
          {"stored_key", base64_encode(c.stored_key)},
          {"server_key", base64_encode(c.server_key)},
          {"iterations", c.iterations},
      };
    }
  }
  return json.dump(2) + "\n";
}

result<decoded_credentials> decode_credentials(std::string_view text) {
  auto corrupt = [](const std::string& what) { return fail(errc::corrupt_file, "SCRAM credentials file: " + what); };
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return corrupt("not a JSON object");
  if (!json.contains("version") || json["version"] != file_version) return corrupt("unsupported version");
  auto string_field = [](const nlohmann::json& j, const char* key) -> std::optional<std::string> {
    if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
    return base64_decode(j[key].get_ref<const std::string&>());
  };
  decoded_credentials out;
  auto secret = string_field(json, "fake_credential_secret");
  if (!secret || secret->empty()) return corrupt("missing fake_credential_secret");
  out.secret = std::move(*secret);
  if (!json.contains("users") || !json["users"].is_object()) return corrupt("missing users");
  for (const auto& [user, credentials] : json["users"].items()) {
    if (user.empty() || !credentials.is_object()) return corrupt("bad entry for user '" + user + "'");
    for (const auto& [name, c] : credentials.items()) {
      const auto mechanism = parse_mechanism_name(name);
      if (!mechanism || !c.is_object()) return corrupt("user '" + user + "': unknown mechanism '" + name + "'");
      scram_credential credential;
      auto salt = string_field(c, "salt");
      auto stored_key = string_field(c, "stored_key");
      auto server_key = string_field(c, "server_key");
      const auto size = digest_size(algorithm(*mechanism));
      if (!salt || salt->empty() || !stored_key || stored_key->size() != size || !server_key ||
          server_key->size() != size || !c.contains("iterations") || !c["iterations"].is_number_integer()) {
        return corrupt("user '" + user + "' " + name + ": bad salt, keys or iterations");
      }
      const auto iterations = c["iterations"].get<std::int64_t>();
      if (iterations < scram_min_iterations || iterations > scram_max_iterations) {
        return corrupt("user '" + user + "' " + name + ": iterations out of range");
      }
      out.users[user][*mechanism] = scram_credential{std::move(*salt), std::move(*stored_key), std::move(*server_key),
                                                     static_cast<int>(iterations)};
    }
  }
  return out;
}

credential_store::credential_store(io::file_system& fs, std::filesystem::path path, std::string secret, table users)
    : _fs(fs),
      _path(std::move(path)),
      _secret(std::move(secret)),
      _snapshot(std::make_shared<const table>(std::move(users))) {}

result<std::unique_ptr<credential_store>> credential_store::open(io::file_system& fs, std::filesystem::path data_dir) {
  auto path = data_dir / file_name;
  auto exists = fs.exists(path);
  if (!exists) return fail(errc::io_error, "checking " + path.string() + ": " + exists.error().message());
  if (!*exists) {
    std::string secret = random_bytes(32);
    const std::string text = encode_credentials(secret, {});
    if (auto w = io::write_file_atomically(fs, path, as_bytes(text)); !w) {
      return fail(errc::io_error, "writing " + path.string() + ": " + w.error().message());
    }
    return std::unique_ptr<credential_store>(new credential_store(fs, std::move(path), std::move(secret), {}));
  }
  auto bytes = io::read_whole_file(fs, path);
  if (!bytes) return fail(errc::io_error, "reading " + path.string() + ": " + bytes.error().message());
  auto decoded = decode_credentials(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!decoded) return fail(errc::corrupt_file, path.string() + ": " + decoded.error().message);
  return std::unique_ptr<credential_store>(
      new credential_store(fs, std::move(path), std::move(decoded->secret), std::move(decoded->users)));
}

std::optional<scram_credential> credential_store::lookup(std::string_view user, scram_mechanism mechanism) const {
  const auto snapshot = _snapshot.load();
  const auto it = snapshot->find(user);
  if (it == snapshot->end()) return std::nullopt;
  const auto c = it->second.find(mechanism);
  if (c == it->second.end()) return std::nullopt;
  return c->second;
}

credential_store::upsertion credential_store::upsertion_from_password(std::string user, scram_mechanism mechanism,
                                                                      std::string_view password, int iterations) {
  std::string salt = random_bytes(scram_salt_size);
  std::string salted = pbkdf2(algorithm(mechanism), password, salt, iterations);
  return upsertion{std::move(user), static_cast<std::int8_t>(mechanism), iterations, std::move(salt),
                   std::move(salted)};
}

result<std::vector<credential_store::user_result>> credential_store::alter(const std::vector<deletion>& deletions,
                                                                           const std::vector<upsertion>& upsertions) {
  base::mutex_lock lock(_write_mu);
  const auto current = _snapshot.load();
  table next = *current;

  // Users in order of first appearance, and the first error of each.
  std::vector<std::string> order;
  std::map<std::string, std::optional<error>, std::less<>> errors;
  std::set<std::pair<std::string, std::int8_t>> seen;
  auto note = [&](const std::string& user, std::int8_t mechanism, std::optional<error> e) {
    if (errors.emplace(user, std::nullopt).second) order.push_back(user);
    if (!seen.emplace(user, mechanism).second) {
      e = error{errc::duplicate_resource, "A user credential cannot be altered twice in the same request"};
    }
    auto& slot = errors[user];
    if (e && !slot) slot = std::move(e);
  };
  for (const auto& d : deletions) {
    std::optional<error> e;
    const auto mechanism = mechanism_from_code(d.mechanism);
    if (d.user.empty()) {
      e = error{errc::unacceptable_credential, "Username must not be empty"};
    } else if (!mechanism) {
      e = error{errc::unsupported_mechanism, "Unknown SCRAM mechanism"};
    } else if (!current->contains(d.user) || !current->find(d.user)->second.contains(*mechanism)) {
      e = error{errc::resource_not_found, "Attempt to delete a user credential that does not exist"};
    }
    note(d.user, d.mechanism, std::move(e));
  }
  for (const auto& u : upsertions) note(u.user, u.mechanism, check_upsertion(u));

  for (const auto& d : deletions) {
    if (errors[d.user]) continue;
    auto it = next.find(d.user);
    it->second.erase(*mechanism_from_code(d.mechanism));
    if (it->second.empty()) next.erase(it);
  }
  for (const auto& u : upsertions) {
    if (errors[u.user]) continue;
    const auto mechanism = *mechanism_from_code(u.mechanism);
    next[u.user][mechanism] = credential_from_salted_password(mechanism, u.salt, u.salted_password, u.iterations);
  }

  if (next != *current) {
    const std::string text = encode_credentials(_secret, next);
    if (auto w = io::write_file_atomically(_fs, _path, as_bytes(text)); !w) {
      return fail(errc::io_error, "writing " + _path.string() + ": " + w.error().message());
    }
    _snapshot.store(std::make_shared<const table>(std::move(next)));
  }
  std::vector<user_result> results;
  results.reserve(order.size());
  for (auto& user : order) results.push_back(user_result{user, std::move(errors[user])});
  return results;
}

std::vector<credential_store::described_user> credential_store::describe(
    const std::optional<std::vector<std::string>>& users) const {
  const auto snapshot = _snapshot.load();
  auto describe_one = [](const std::string& user, const std::map<scram_mechanism, scram_credential>& credentials) {
    described_user d{user, std::nullopt, {}};
    for (const auto& [mechanism, c] : credentials) d.credentials.emplace_back(mechanism, c.iterations);
    return d;
  };
  std::vector<described_user> out;
  if (!users || users->empty()) {
    for (const auto& [user, credentials] : *snapshot) out.push_back(describe_one(user, credentials));
    return out;
  }
  std::map<std::string_view, int> counts;
  for (const auto& user : *users) ++counts[user];
  std::set<std::string_view> done;
  for (const auto& user : *users) {
    if (!done.insert(user).second) continue;  // one result per user
    if (counts[user] > 1) {
      out.push_back({user,
                     error{errc::duplicate_resource,
                           "Cannot describe SCRAM credentials for the same user twice in a single request"},
                     {}});
      continue;
    }
    const auto it = snapshot->find(user);
    if (it == snapshot->end()) {
      out.push_back(
          {user, error{errc::resource_not_found, "Attempt to describe a user credential that does not exist"}, {}});
      continue;
    }
    out.push_back(describe_one(user, it->second));
  }
  return out;
}

}  // namespace spate::security
