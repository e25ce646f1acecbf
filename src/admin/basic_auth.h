#pragma once
// HTTP Basic authentication of the admin API (admin.authentication=basic) against the SCRAM users
// of the credential store (scram_credentials.json), so one set of users serves Kafka clients and
// the admin API. A password is checked the way SCRAM would: Hi(password, stored salt, stored
// iterations) gives the StoredKey, compared in constant time with the stored one. Unknown users
// pay the same PBKDF2 against a stable fake credential, so timing does not tell which names exist.
//
// A successful check is remembered for `cache_ttl` (as a keyed digest of the password next to the
// StoredKey it matched, never the password), so a dashboard polling every second does not pay
// PBKDF2 per request; changing or deleting the user's credential invalidates it at once. Failures
// are answered after the peer's growing delay (broker::auth_failure_throttle), like SASL's.
//
// Thread-safe: the cache has its own mutex, held for a map access only (never across PBKDF2).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "broker/auth_failure_throttle.h"

namespace spate::security {
class credential_store;
}

namespace spate::admin {

class basic_authenticator {
 public:
  using clock = std::chrono::steady_clock;

  // `credentials` must outlive the authenticator. `failure_delay`: connection.failed.authentication.delay.ms.
  basic_authenticator(const security::credential_store& credentials, std::chrono::milliseconds failure_delay,
                      std::chrono::milliseconds cache_ttl = std::chrono::seconds(60));

  struct outcome {
    std::optional<std::string> principal;  // "User:alice" when authenticated
    std::string failure_reason;            // for the log only, never sent to the client
    std::chrono::milliseconds delay{0};    // wait this long before answering a failure
  };
  // `authorization` is the request's Authorization header (empty: none); `peer_ip` keys the
  // failure delay.
  outcome authenticate(std::string_view authorization, std::string_view peer_ip, clock::time_point now);

  // Totals since start-up, for /metrics.
  std::uint64_t failures() const { return _throttle.failures(); }

 private:
  struct cached {
    std::string password_digest;  // HMAC of the password under _cache_key
    std::string stored_key;       // the StoredKey it matched
    clock::time_point expires;
  };

  std::optional<std::string> verify(const std::string& user, const std::string& password, std::string& reason,
                                    clock::time_point now);

  const security::credential_store& _credentials;
  const std::chrono::milliseconds _cache_ttl;
  const std::string _cache_key;  // random per process
  broker::auth_failure_throttle _throttle;
  base::mutex _mu;
  std::map<std::string, cached, std::less<>> _cache GUARDED_BY(_mu);
};

}  // namespace spate::admin
