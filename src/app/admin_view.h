#pragma once
// The admin API's read-only view of a running broker (admin::broker_view) over the log manager,
// the group coordinator and the Kafka network server, and the admin server's options from the
// broker config. Thread-safe: every source it reads documents its own locking.
#include <atomic>
#include <chrono>
#include <string>

#include "admin/admin_options.h"
#include "admin/broker_view.h"
#include "app/config.h"

namespace spate::storage {
class log_manager;
}
namespace spate::group {
class coordinator;
}
namespace spate::net {
class server;
}

namespace spate::app {

// "127.0.0.1:9644" style address of admin.listeners, and its timeout. The hooks (metrics_text,
// status_sections, diag) are left empty for serve.cc to fill.
admin::admin_options admin_options_from(const broker_config& config);

class admin_view final : public admin::broker_view {
 public:
  // `ready` is set by the broker once recovery is done and the Kafka listener accepts. Captures
  // what recovery did now, so construct it after the logs are open. Every reference must
  // outlive the view.
  admin_view(const storage::log_manager& logs, const group::coordinator& groups, const net::server& kafka,
             const broker_config& config, std::string cluster_id, bool new_data_dir, const std::atomic<bool>& ready,
             std::chrono::steady_clock::time_point started);

  admin::broker_identity identity() const override;
  std::int64_t uptime_ms() const override;
  bool ready() const override { return _ready.load(); }
  std::vector<admin::topic_summary> topics() const override;
  std::optional<admin::topic_detail> topic(const std::string& name) const override;
  std::vector<admin::group_summary> groups() const override;
  std::optional<admin::group_detail> group(const std::string& group_id) const override;
  std::optional<std::int64_t> offset_for_timestamp(const std::string& topic, std::int32_t partition,
                                                   std::int64_t timestamp_ms) const override;
  admin::storage_usage usage() const override;
  admin::recovery_state recovery() const override { return _recovery; }
  std::size_t connection_count() const override;

 private:
  const storage::log_manager& _logs;
  const group::coordinator& _groups;
  const net::server& _kafka;
  const broker_config& _config;
  const std::string _cluster_id;
  const std::atomic<bool>& _ready;
  const std::chrono::steady_clock::time_point _started;
  admin::recovery_state _recovery;
};

}  // namespace spate::app
