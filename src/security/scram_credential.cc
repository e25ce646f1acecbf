#include "security/scram_credential.h"

namespace spate::security {

std::string_view mechanism_name(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

std::optional<scram_mechanism> parse_mechanism_name(std::string_view name) {
  if (name == "SCRAM-SHA-256") return scram_mechanism::sha256;
  if (name == "SCRAM-SHA-512") return scram_mechanism::sha512;
  return std::nullopt;
}

std::optional<scram_mechanism> mechanism_from_code(std::int8_t code) {
  if (code == 1) return scram_mechanism::sha256;
  if (code == 2) return scram_mechanism::sha512;
  return std::nullopt;
}

hash_algorithm algorithm(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? hash_algorithm::sha256 : hash_algorithm::sha512;
}

scram_credential credential_from_salted_password(scram_mechanism m, std::string salt, std::string_view salted_password,
                                                 int iterations) {
  const auto h = algorithm(m);
  return scram_credential{
      .salt = std::move(salt),
      .stored_key = hash(h, hmac(h, salted_password, "Client Key")),
      .server_key = hmac(h, salted_password, "Server Key"),
      .iterations = iterations,
  };
}

scram_credential derive_credential(scram_mechanism m, std::string_view password, std::string salt, int iterations) {
  const std::string salted = pbkdf2(algorithm(m), password, salt, iterations);
  return credential_from_salted_password(m, std::move(salt), salted, iterations);
}

scram_credential new_credential(scram_mechanism m, std::string_view password, int iterations) {
  return derive_credential(m, password, random_bytes(scram_salt_size), iterations);
}

scram_credential fake_credential(scram_mechanism m, std::string_view secret, std::string_view username) {
  const auto h = algorithm(m);
  // Domain-separated so no two outputs (or two mechanisms) share a value.
  auto derive = [&](std::string_view label) {
    std::string input(mechanism_name(m));
    input += '\0';
    input += label;
    input += '\0';
    input += username;
    return hmac(h, secret, input);
  };
  std::string salt = derive("salt").substr(0, scram_salt_size);
  return scram_credential{
      .salt = std::move(salt),
      .stored_key = derive("stored_key"),
      .server_key = derive("server_key"),
      .iterations = scram_default_iterations,
  };
}

}  // namespace spate::security
