#pragma once
// Thin wrappers over the OpenSSL primitives SCRAM and PLAIN need: digests, HMAC, PBKDF2, random
// bytes and a constant-time comparison. Byte strings are std::string (SCRAM moves them in and out
// of text messages; std::string holds any byte). Pure functions, thread-safe (OpenSSL 3 needs no
// locking setup).
#include <cstddef>
#include <string>
#include <string_view>

namespace spate::security {

enum class hash_algorithm : std::uint8_t { sha256, sha512 };

// Digest length in bytes: 32 or 64.
std::size_t digest_size(hash_algorithm h);
std::string hash(hash_algorithm h, std::string_view data);
std::string hmac(hash_algorithm h, std::string_view key, std::string_view data);
// PBKDF2-HMAC (RFC 8018) with an output of the digest's length: SCRAM's Hi(password, salt, i).
std::string pbkdf2(hash_algorithm h, std::string_view password, std::string_view salt, int iterations);
// Cryptographically secure random bytes (RAND_bytes). Aborts if the generator fails: carrying on
// with predictable salts or nonces would be worse than stopping.
std::string random_bytes(std::size_t n);
// Equal contents, in time that depends only on the lengths (CRYPTO_memcmp): for keys and proofs.
bool constant_time_equal(std::string_view a, std::string_view b);
// Byte-wise XOR of two strings of equal length (SCRAM's ClientProof = ClientKey XOR ClientSignature).
std::string xor_bytes(std::string_view a, std::string_view b);

}  // namespace spate::security
