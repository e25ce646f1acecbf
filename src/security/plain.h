#pragma once
// SASL PLAIN (RFC 4616) as Kafka's PlainSaslServer runs it: one client message
// `[authzid] NUL authcid NUL passwd`, checked against a table of users. The table comes from a
// JSON file ({"users": {"alice": "secret"}}): passwords in clear text, so it is for development
// only; production uses SCRAM (credential_store.h).
//
// Failures are errc::authentication_failed with Kafka's messages; a wrong password and an unknown
// user get the same one, and take the same time (see plain_users::verify).
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

#include "io/file.h"
#include "security/errc.h"

namespace spate::security {

// Longest PLAIN message we parse. RFC 4616 asks servers to accept fields of 255 bytes; we accept
// more, within this bound.
inline constexpr std::size_t plain_max_message_size = 4096;

struct plain_message {
  std::string authzid;   // empty when absent
  std::string username;  // authcid, non-empty
  std::string password;  // non-empty
};

// Exactly three NUL-separated fields; username and password non-empty; an authzid, if present,
// equal to the username (Kafka does not let a user act as another).
result<plain_message> parse_plain(std::string_view message);

// The users of a PLAIN listener. Immutable after loading: thread-safe.
class plain_users {
 public:
  static result<plain_users> from_json(std::string_view text);
  static result<plain_users> load(io::file_system& fs, const std::filesystem::path& path);

  // Whether `password` is the user's. Compares SHA-256 digests with a constant-time compare, and
  // compares against a dummy for an unknown user, so timing does not reveal which users exist or
  // how much of a password was right.
  bool verify(std::string_view username, std::string_view password) const;
  std::size_t size() const { return _users.size(); }

 private:
  std::unordered_map<std::string, std::string> _users;  // user -> SHA-256(password)
};

// parse_plain + verify: the authenticated username, or Kafka's failure.
result<std::string> authenticate_plain(std::string_view message, const plain_users& users);

}  // namespace spate::security
