#include "admin/basic_auth.h"

#include <cctype>

#include "security/base64.h"
#include "security/credential_store.h"
#include "security/crypto.h"
#include "security/scram_credential.h"

namespace spate::admin {
namespace {

// Users whose verification is cached at most; beyond, the cache starts over.
constexpr std::size_t max_cached_users = 1000;

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

basic_authenticator::basic_authenticator(const security::credential_store& credentials,
                                         std::chrono::milliseconds failure_delay, std::chrono::milliseconds cache_ttl)
    : _credentials(credentials),
      _cache_ttl(cache_ttl),
      _cache_key(security::random_bytes(32)),
      _throttle(failure_delay) {}

basic_authenticator::outcome basic_authenticator::authenticate(std::string_view authorization, std::string_view peer_ip,
                                                               clock::time_point now) {
  outcome out;
  std::string reason;
  if (authorization.empty()) {
    reason = "no Authorization header";
  } else if (!starts_with_ci(authorization, "Basic ")) {
    reason = "Authorization is not Basic";
  } else {
    auto text = authorization.substr(6);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    const auto decoded = security::base64_decode(text);
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      reason = "malformed Basic credentials";
    } else {
      out.principal = verify(decoded->substr(0, colon), decoded->substr(colon + 1), reason, now);
      if (out.principal) return out;
    }
  }
  out.failure_reason = std::move(reason);
  out.delay = _throttle.record_failure(peer_ip, now);
  return out;
}

std::optional<std::string> basic_authenticator::verify(const std::string& user, const std::string& password,
                                                       std::string& reason, clock::time_point now) {
  using security::scram_mechanism;
  std::optional<security::scram_credential> credential;
  auto mechanism = scram_mechanism::sha512;
  if (!user.empty()) {
    credential = _credentials.lookup(user, mechanism);
    if (!credential) credential = _credentials.lookup(user, mechanism = scram_mechanism::sha256);
  }
  const bool known = credential.has_value();
  if (!known) {
    mechanism = scram_mechanism::sha512;
    credential = security::fake_credential(mechanism, _credentials.fake_credential_secret(), user);
  }

  const auto digest = security::hmac(security::hash_algorithm::sha256, _cache_key, password);
  if (known) {
    base::mutex_lock lock(_mu);
    const auto hit = _cache.find(user);
    if (hit != _cache.end() && now < hit->second.expires &&
        security::constant_time_equal(hit->second.stored_key, credential->stored_key) &&
        security::constant_time_equal(hit->second.password_digest, digest)) {
      return "User:" + user;
    }
  }

  const auto derived = security::derive_credential(mechanism, password, credential->salt, credential->iterations);
  if (!known || !security::constant_time_equal(derived.stored_key, credential->stored_key)) {
    reason = known ? "wrong password" : "unknown user";
    return std::nullopt;
  }
  {
    base::mutex_lock lock(_mu);
    if (_cache.size() >= max_cached_users) _cache.clear();
    _cache[user] = cached{digest, credential->stored_key, now + _cache_ttl};
  }
  return "User:" + user;
}

}  // namespace spate::admin
