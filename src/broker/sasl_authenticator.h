#pragma once
// The SASL mechanisms a SASL_PLAINTEXT listener offers, how each exchange runs, and the throttle
// of failed authentications. Built once at start-up; thread-safe (the mechanisms and users are
// immutable; the failure throttle and the counters are thread-safe).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/auth_failure_throttle.h"
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

  // Records a failed authentication from `ip` and returns how long to wait before answering it
  // (auth_failure_throttle).
  std::chrono::milliseconds record_failure(std::string_view ip, std::chrono::steady_clock::time_point now) {
    return _throttle.record_failure(ip, now);
  }
  void record_success() { _successes.fetch_add(1, std::memory_order_relaxed); }
  void record_reauthentication() { _reauthentications.fetch_add(1, std::memory_order_relaxed); }
  void record_expired_session() { _expired_sessions.fetch_add(1, std::memory_order_relaxed); }

  // Totals since start-up, for /metrics.
  std::uint64_t successes() const { return _successes.load(std::memory_order_relaxed); }
  std::uint64_t failures() const { return _throttle.failures(); }
  std::uint64_t reauthentications() const { return _reauthentications.load(std::memory_order_relaxed); }
  // Connections closed because their session expired without re-authentication (KIP-368).
  std::uint64_t expired_sessions() const { return _expired_sessions.load(std::memory_order_relaxed); }

 private:
  std::vector<std::string> _mechanisms;
  const security::credential_store* _credentials;
  const security::plain_users* _plain;
  auth_failure_throttle _throttle;
  std::atomic<std::uint64_t> _successes{0};
  std::atomic<std::uint64_t> _reauthentications{0};
  std::atomic<std::uint64_t> _expired_sessions{0};
};

// The IP of a connection's "ip:port" or "[ip]:port" peer.
std::string_view peer_ip(std::string_view peer);

}  // namespace spate::broker
