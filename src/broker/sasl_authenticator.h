#pragma once
// The SASL mechanisms a SASL_PLAINTEXT listener offers, how each exchange runs, and the throttle
// of failed authentications. Built once at start-up; thread-safe (the mechanisms and users are
// immutable; the failure table has its own mutex, held for a map update only, never across an
// await or I/O).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "security/errc.h"

namespace spate::security {
class credential_store;
class plain_users;
}  // namespace spate::security

namespace spate::broker {

// One SASL exchange in progress: the client's tokens in, the server's tokens out.
class sasl_exchange {
 public:
  virtual ~sasl_exchange() = default;
  // The server's answer to the client's next token, or a failure (authentication_failed with
  // Kafka's generic message; illegal_sasl_state for a token out of turn).
  virtual security::result<std::string> step(std::string_view token) = 0;
  // After the last successful step: the authenticated user name.
  virtual bool complete() const = 0;
  virtual std::string username() const = 0;
  // Why the exchange failed, for the broker's log only (never sent to the client).
  virtual std::string failure_reason() const = 0;
};

class sasl_authenticator {
 public:
  // `credentials` (SCRAM) and `plain` (PLAIN) must outlive the authenticator; either may be null
  // when its mechanisms are not enabled. `failure_delay` is Kafka's
  // connection.failed.authentication.delay.ms.
  sasl_authenticator(std::vector<std::string> mechanisms, const security::credential_store* credentials,
                     const security::plain_users* plain, std::chrono::milliseconds failure_delay);

  const std::vector<std::string>& mechanisms() const { return _mechanisms; }
  bool enabled(std::string_view mechanism) const;
  // A new exchange of an enabled mechanism.
  std::unique_ptr<sasl_exchange> start(std::string_view mechanism) const;

  // Records a failed authentication from `ip` and returns how long to wait before answering it:
  // the base delay, growing with the peer's failures in the last minute (up to 5 s), so a client
  // guessing passwords gets slower and slower while others are unaffected.
  std::chrono::milliseconds record_failure(std::string_view ip, std::chrono::steady_clock::time_point now);
  void record_success() { _successes.fetch_add(1, std::memory_order_relaxed); }

  // Totals since start-up, for /metrics.
  std::uint64_t successes() const { return _successes.load(std::memory_order_relaxed); }
  std::uint64_t failures() const { return _failure_total.load(std::memory_order_relaxed); }

 private:
  struct peer_failures {
    std::chrono::steady_clock::time_point window_start;
    std::uint32_t count = 0;
  };

  std::vector<std::string> _mechanisms;
  const security::credential_store* _credentials;
  const security::plain_users* _plain;
  std::chrono::milliseconds _failure_delay;
  std::atomic<std::uint64_t> _successes{0};
  std::atomic<std::uint64_t> _failure_total{0};
  base::mutex _mu;
  std::unordered_map<std::string, peer_failures> _failures GUARDED_BY(_mu);
};

// The IP of a connection's "ip:port" or "[ip]:port" peer.
std::string_view peer_ip(std::string_view peer);

}  // namespace spate::broker
