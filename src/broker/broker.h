#pragma once
// The broker's services as handlers see them: its identity and settings, the partition logs, and
// the blocking pool for file work, the group and transaction coordinators. Thread-safe: the
// options are immutable; log_manager, blocking_pool and the coordinators document their own
// locking.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/fetch_positions.h"
#include "broker/fetch_sessions.h"
#include "broker/partition_waiters.h"
#include "group/coordinator.h"
#include "io/blocking_pool.h"
#include "storage/log_manager.h"

namespace spate::metrics {
class request_metrics;
}
namespace spate::txn {
class transaction_coordinator;
}
namespace spate::quota {
class client_quotas;
class disk_gate;
}  // namespace spate::quota

namespace spate::security {
class acl_store;
class authorizer;
class credential_store;
}  // namespace spate::security

namespace spate::broker {

class sasl_authenticator;

// One broker-level setting as DescribeConfigs reports it: Kafka's name, the effective value as
// text, and whether it is the built-in default (else the operator set it: STATIC_BROKER_CONFIG).
struct broker_setting {
  std::string name;
  std::string value;
  bool is_default = true;
};

// A listener as the handlers see it: its name, security protocol and advertised address.
struct listener_endpoint {
  std::string name;
  std::string security_protocol;  // PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
  std::string advertised_host;
  std::int32_t advertised_port = 0;
};

struct broker_options {
  std::int32_t node_id = 1;
  // The address of requests that came in on no listener (the admin API's in-process calls, tests).
  std::string advertised_host = "127.0.0.1";
  std::int32_t advertised_port = 9092;
  // Kafka's rule: Metadata, FindCoordinator and DescribeCluster answer with the advertised address
  // of the listener the client came in on.
  std::vector<listener_endpoint> listeners;
  std::string cluster_id;
  std::int32_t num_partitions = 1;
  bool auto_create_topics = true;
  // Settings not in the fields above nor in storage's log defaults (listeners, log.dirs, ...), for
  // DescribeConfigs on this broker.
  std::vector<broker_setting> settings;
  // Request errors are counted here; null when metrics are disabled. Outlives the broker.
  metrics::request_metrics* metrics = nullptr;
  // The disk quota (quota/disk_gate.h) Produce asks before appending; null: no quota. Outlives the
  // broker.
  quota::disk_gate* disk_quota = nullptr;
  // Client quotas (AlterClientQuotas, enforced on Produce, Fetch and the other requests); null:
  // none. `save_client_quotas` persists the table's JSON (blocking; false when it failed).
  quota::client_quotas* client_quotas = nullptr;
  std::function<bool(const std::string&)> save_client_quotas;
  // SASL on SASL_PLAINTEXT and SASL_SSL listeners; null: no SASL listener. Outlives the broker.
  sasl_authenticator* sasl = nullptr;
  // SaslAuthenticate's session_lifetime_ms (connections.max.reauth.ms; 0: none).
  std::int64_t sasl_session_lifetime_ms = 0;
  // SCRAM users (Describe/AlterUserScramCredentials); null: none. Outlives the broker.
  security::credential_store* credentials = nullptr;
  // super.users: principals allowed every operation.
  std::vector<std::string> super_users;
  // The ACL authorizer (authorizer.enabled); null: every request is allowed (broker/authorization.h).
  // Outlives the broker.
  security::authorizer* authorizer = nullptr;
  // The durable ACLs of CreateAcls/DescribeAcls/DeleteAcls, published to `authorizer`; null
  // exactly when `authorizer` is (Kafka answers SECURITY_DISABLED then). Outlives the broker.
  security::acl_store* acls = nullptr;
};

// The advertised address of `listener`, or options' default for an unknown one.
inline std::pair<std::string_view, std::int32_t> advertised_address(const broker_options& options,
                                                                    std::string_view listener) {
  for (const auto& l : options.listeners) {
    if (l.name == listener) return {l.advertised_host, l.advertised_port};
  }
  return {options.advertised_host, options.advertised_port};
}

class broker {
 public:
  // `waiters` is shared with whoever else appends (the transaction markers).
  broker(broker_options options, storage::log_manager& logs, io::blocking_pool& pool, group::coordinator& groups,
         txn::transaction_coordinator& transactions, std::shared_ptr<partition_waiters> waiters)
      : _options(std::move(options)),
        _logs(logs),
        _pool(pool),
        _groups(groups),
        _transactions(transactions),
        _waiters(std::move(waiters)) {}
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;

  const broker_options& options() const { return _options; }
  storage::log_manager& logs() const { return _logs; }
  io::blocking_pool& pool() const { return _pool; }
  // Consumer groups and their committed offsets.
  group::coordinator& groups() const { return _groups; }
  // Producer ids and transactions.
  txn::transaction_coordinator& transactions() const { return _transactions; }
  // Fetches parked in a long poll; appends wake them. Shared: durability callbacks hold it and may
  // run after their request is gone.
  const std::shared_ptr<partition_waiters>& waiters() const { return _waiters; }
  // Incremental fetch sessions (KIP-227).
  fetch_session_cache& fetch_sessions() { return _fetch_sessions; }
  // Where consumers last fetched (the lag monitor matches them to group members). Thread-safe.
  fetch_positions& consumer_positions() { return _consumer_positions; }

 private:
  const broker_options _options;
  storage::log_manager& _logs;
  io::blocking_pool& _pool;
  group::coordinator& _groups;
  txn::transaction_coordinator& _transactions;
  const std::shared_ptr<partition_waiters> _waiters;
  fetch_session_cache _fetch_sessions;
  fetch_positions _consumer_positions;
};

}  // namespace spate::broker
