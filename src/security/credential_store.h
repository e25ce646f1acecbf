#pragma once
// The SCRAM credentials of the broker's users, per (user, mechanism), kept in one JSON file in
// the data directory (format: docs/security-files.md) and shaped for KIP-554's
// AlterUserScramCredentials / DescribeUserScramCredentials. The file holds salts, StoredKeys,
// ServerKeys and iteration counts, never a password or salted password; and the secret that
// keys the fake credentials of unknown users (scram_credential.h), so those stay the same across
// restarts as real ones do.
//
// Thread-safety: all methods are thread-safe. Readers (lookup, describe: every SCRAM
// authentication) load an immutable snapshot and never wait for writers. Writers (alter) are
// serialized by `_write_mu`, which is held across the file write on purpose: the file and the
// snapshot must change in the same order. alter() does blocking I/O: call it from the blocking
// pool, never an event loop.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/snapshot.h"
#include "io/file.h"
#include "security/errc.h"
#include "security/scram_credential.h"

namespace spate::security {

class credential_store {
 public:
  static constexpr std::string_view file_name = "scram_credentials.json";

  using table = std::map<std::string, std::map<scram_mechanism, scram_credential>, std::less<>>;

  // Loads <data_dir>/scram_credentials.json, or creates it (no users, a fresh secret) when
  // missing. A file that does not parse is errc::corrupt_file naming what is wrong: the broker
  // must not start with half its users.
  static result<std::unique_ptr<credential_store>> open(io::file_system& fs, std::filesystem::path data_dir);

  // The credential SCRAM verifies against; nullopt when the user has none for the mechanism.
  std::optional<scram_credential> lookup(std::string_view user, scram_mechanism mechanism) const;
  // Keys scram_credential.h's fake_credential. Stable for the life of the data directory.
  const std::string& fake_credential_secret() const { return _secret; }

  // One KIP-554 upsertion: the client derived the salted password (Hi) itself. `mechanism` is
  // the wire code, so an unknown one can be reported per user.
  struct upsertion {
    std::string user;
    std::int8_t mechanism = 0;
    int iterations = 0;
    std::string salt;             // raw bytes
    std::string salted_password;  // raw bytes
  };
  // For the CLI and tests: an upsertion derived from a password with a fresh random salt.
  static upsertion upsertion_from_password(std::string user, scram_mechanism mechanism, std::string_view password,
                                           int iterations = scram_default_iterations);
  struct deletion {
    std::string user;
    std::int8_t mechanism = 0;
  };
  // Per user of the request, in order of first appearance: no error, or Kafka's (errc + message).
  struct user_result {
    std::string user;
    std::optional<security::error> error;
  };
  // Applies what is valid and persists it. Per user all-or-nothing: a user with any invalid
  // alteration (unknown mechanism, iterations outside 4096..16384, empty name/salt/password,
  // deleting a missing credential, the same (user, mechanism) twice) gets that error and none of
  // its alterations. A failed write is errc::io_error for the whole request, and changes nothing.
  result<std::vector<user_result>> alter(const std::vector<deletion>& deletions,
                                         const std::vector<upsertion>& upsertions) EXCLUDES(_write_mu);

  struct described_user {
    std::string user;
    std::optional<security::error> error;
    std::vector<std::pair<scram_mechanism, int>> credentials;  // mechanism, iterations
  };
  // DescribeUserScramCredentials: nullopt (or an empty list) means every user with a credential;
  // otherwise each named user, RESOURCE_NOT_FOUND when it has none, DUPLICATE_RESOURCE when named
  // twice.
  std::vector<described_user> describe(const std::optional<std::vector<std::string>>& users) const;

 private:
  credential_store(io::file_system& fs, std::filesystem::path path, std::string secret, table users);

  io::file_system& _fs;
  const std::filesystem::path _path;
  const std::string _secret;
  base::mutex _write_mu;
  // Replaced (never modified) under _write_mu; loaded without it.
  base::snapshot<table> _snapshot;
};

// The file's text for a table (tests and the store; deterministic: users and mechanisms sorted).
std::string encode_credentials(std::string_view secret, const credential_store::table& users);
struct decoded_credentials {
  std::string secret;
  credential_store::table users;
};
result<decoded_credentials> decode_credentials(std::string_view text);

}  // namespace spate::security
