#pragma once
// Wiring of the broker's metrics: the registry with the network, broker and storage hooks, and the
// collectors that read topics, groups, transactions, connections and the process at scrape time.
#include <memory>
#include <string>

#include "metrics/broker_metrics.h"
#include "net/server.h"

namespace spate::storage {
class log_manager;
}
namespace spate::group {
class coordinator;
}
namespace spate::txn {
class transaction_coordinator;
}

namespace spate::admin {
class basic_authenticator;
}
namespace spate::broker {
class sasl_authenticator;
}

namespace spate::app {

class log_cleaner_service;
class disk_quota_service;

// Thread-safe. Created before the logs (storage records into it) and destroyed after the server.
class broker_metrics_wiring final : public net::request_observer {
 public:
  broker_metrics_wiring();
  broker_metrics_wiring(const broker_metrics_wiring&) = delete;
  broker_metrics_wiring& operator=(const broker_metrics_wiring&) = delete;

  metrics::broker_metrics& metrics() { return _metrics; }

  // Render-time collectors. Each source must outlive every later render_exposition().
  void collect_topics(const storage::log_manager& logs, bool partition_labels);
  void collect_groups(const group::coordinator& groups);
  void collect_transactions(const txn::transaction_coordinator& transactions);
  void collect_connections(const net::server& server);
  void collect_sasl(const broker::sasl_authenticator& sasl);
  // Shared: the admin server may stop before the metrics do.
  void collect_admin_authentication(std::shared_ptr<const admin::basic_authenticator> basic);
  void collect_cleaner(const log_cleaner_service& cleaner, bool partition_labels);
  void collect_disk_quota(disk_quota_service& quota);

  // GET /metrics.
  std::string render_exposition() const { return _registry.render_exposition(); }

  // net::request_observer: the frame's first 4 bytes are the API key and version.
  void request_completed(const net::request_timing& timing) noexcept override;

 private:
  metrics::registry _registry;
  metrics::broker_metrics _metrics;
};

}  // namespace spate::app
