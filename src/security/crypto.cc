#include "security/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/assert.h"

namespace spate::security {
namespace {

const EVP_MD* md(hash_algorithm h) { return h == hash_algorithm::sha256 ? EVP_sha256() : EVP_sha512(); }

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::size_t digest_size(hash_algorithm h) { return h == hash_algorithm::sha256 ? 32 : 64; }

std::string hash(hash_algorithm h, std::string_view data) {
  std::string out(digest_size(h), '\0');
  unsigned int len = 0;
  const int ok =
      EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, md(h), nullptr);
  // Invariant: a digest of memory never fails short of allocation failure.
  SPATE_ASSERT(ok == 1 && len == out.size(), "EVP_Digest failed");
  return out;
}

std::string hmac(hash_algorithm h, std::string_view key, std::string_view data) {
  std::string out(digest_size(h), '\0');
  unsigned int len = 0;
  const unsigned char* r = HMAC(md(h), key.data(), static_cast<int>(key.size()), bytes(data), data.size(),
                                reinterpret_cast<unsigned char*>(out.data()), &len);
  SPATE_ASSERT(r != nullptr && len == out.size(), "HMAC failed");
  return out;
}

std::string pbkdf2(hash_algorithm h, std::string_view password, std::string_view salt, int iterations) {
  std::string out(digest_size(h), '\0');
  const int ok =
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt), static_cast<int>(salt.size()),
                        iterations, md(h), static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
  SPATE_ASSERT(ok == 1, "PKCS5_PBKDF2_HMAC failed");
  return out;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  const int ok = RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  SPATE_ASSERT(ok == 1, "RAND_bytes failed");
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  SPATE_ASSERT(a.size() == b.size(), "xor_bytes of different lengths");
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace spate::security
