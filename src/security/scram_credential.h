#pragma once
// SCRAM mechanisms and the credential a server keeps per (user, mechanism): RFC 5802 section 3
// with Kafka's choices (KIP-84 for SCRAM-SHA-256/512, KIP-554 for the mechanism codes and the
// iteration limits). The server keeps only salt, StoredKey, ServerKey and the iteration count:
// enough to verify a client's proof, not enough to impersonate a client.
//
//   SaltedPassword = Hi(password, salt, i)            (PBKDF2-HMAC)
//   StoredKey      = H(HMAC(SaltedPassword, "Client Key"))
//   ServerKey      = HMAC(SaltedPassword, "Server Key")
//
// Passwords are used as their UTF-8 bytes without SASLprep, as Kafka does (ScramFormatter), so
// credentials made here and by Kafka's tools agree. Pure functions; thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "security/crypto.h"

namespace spate::security {

// Kafka's ScramMechanism codes on the wire (KIP-554): 0 is UNKNOWN.
enum class scram_mechanism : std::int8_t { sha256 = 1, sha512 = 2 };

// Kafka's limits (ScramMechanism.minIterations; KIP-554's maximum) and its default.
inline constexpr int scram_min_iterations = 4096;
inline constexpr int scram_max_iterations = 16384;
inline constexpr int scram_default_iterations = 4096;
// Length of the salts we make (any length is accepted from a client of KIP-554).
inline constexpr std::size_t scram_salt_size = 32;

std::string_view mechanism_name(scram_mechanism m);  // "SCRAM-SHA-256", "SCRAM-SHA-512"
std::optional<scram_mechanism> parse_mechanism_name(std::string_view name);
std::optional<scram_mechanism> mechanism_from_code(std::int8_t code);
hash_algorithm algorithm(scram_mechanism m);

struct scram_credential {
  std::string salt;        // raw bytes
  std::string stored_key;  // raw bytes, the digest's length
  std::string server_key;  // raw bytes, the digest's length
  int iterations = scram_default_iterations;
  friend bool operator==(const scram_credential&, const scram_credential&) = default;
};

// From a salted password (what AlterUserScramCredentials carries: the client ran Hi itself).
scram_credential credential_from_salted_password(scram_mechanism m, std::string salt, std::string_view salted_password,
                                                 int iterations);
// From a password and a given salt (tests, and RFC vectors).
scram_credential derive_credential(scram_mechanism m, std::string_view password, std::string salt, int iterations);
// From a password with a fresh random salt of scram_salt_size bytes.
scram_credential new_credential(scram_mechanism m, std::string_view password,
                                int iterations = scram_default_iterations);

// A credential for a user that does not exist, derived from `secret` so it is the same on every
// attempt (an attacker sees one stable salt per name, as for a real user) and costs no PBKDF2, as
// looking up a real credential costs none. The exchange against it fails at the proof like a wrong
// password does. Uses scram_default_iterations.
scram_credential fake_credential(scram_mechanism m, std::string_view secret, std::string_view username);

}  // namespace spate::security
