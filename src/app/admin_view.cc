#include "app/admin_view.h"

#include <sys/statvfs.h>

#include <fmt/format.h>

#include "group/coordinator.h"
#include "model/topic_name.h"
#include "model/uuid.h"
#include "net/server.h"
#include "storage/log_manager.h"

namespace spate::app {
namespace {

std::string address(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

admin::partition_state partition_state_of(const storage::partition_log& log) {
  admin::partition_state p;
  p.partition = log.partition();
  p.log_start_offset = log.log_start_offset();
  p.log_end_offset = log.log_end_offset();
  p.high_watermark = log.high_watermark();
  p.last_stable_offset = log.last_stable_offset();
  p.size_bytes = log.size_bytes();
  p.segment_count = log.segment_count();
  return p;
}

}  // namespace

admin::admin_options admin_options_from(const broker_config& config) {
  admin::admin_options options;
  if (config.admin_listener) {
    options.host = config.admin_listener->address.host;
    options.port = config.admin_listener->address.port;
  }
  options.request_timeout = std::chrono::milliseconds(config.admin_request_timeout_ms);
  options.version = SPATE_VERSION;
  return options;
}

admin_view::admin_view(const storage::log_manager& logs, const group::coordinator& groups, const net::server& kafka,
                       const broker_config& config, std::string cluster_id, bool new_data_dir,
                       const std::atomic<bool>& ready, std::chrono::steady_clock::time_point started)
    : _logs(logs),
      _groups(groups),
      _kafka(kafka),
      _config(config),
      _cluster_id(std::move(cluster_id)),
      _ready(ready),
      _started(started) {
  _recovery.new_data_dir = new_data_dir;
  _recovery.clean_start = logs.opened_after_clean_shutdown();
  for (const auto& log : logs.all_logs()) {
    _recovery.segments_loaded += log->load_stats().segments_loaded;
    _recovery.segments_recovered += log->load_stats().segments_recovered;
    _recovery.bytes_truncated += log->load_stats().bytes_truncated;
  }
}

admin::broker_identity admin_view::identity() const {
  admin::broker_identity id;
  id.node_id = _config.node_id;
  id.version = SPATE_VERSION;
  id.cluster_id = _cluster_id;
  id.kafka_listener = address(_config.listeners.front().address.host, _kafka.bound_port());
  id.data_dir = _config.data_dir.string();
  return id;
}

std::int64_t admin_view::uptime_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - _started).count();
}

std::vector<admin::topic_summary> admin_view::topics() const {
  std::vector<admin::topic_summary> out;
  for (const auto& t : _logs.list_topics()) {
    out.push_back({t.name, model::to_string(t.id), t.partitions, model::is_internal_topic(t.name)});
  }
  return out;
}

std::optional<admin::topic_detail> admin_view::topic(const std::string& name) const {
  const auto info = _logs.find_topic(name);
  if (!info) return std::nullopt;
  admin::topic_detail detail;
  detail.summary = {info->name, model::to_string(info->id), info->partitions, model::is_internal_topic(info->name)};
  detail.configs = info->configs;
  for (std::int32_t p = 0; p < info->partitions; ++p) {
    if (auto log = _logs.get(name, p)) detail.partitions.push_back(partition_state_of(*log));
  }
  return detail;
}

std::vector<admin::group_summary> admin_view::groups() const {
  std::vector<admin::group_summary> out;
  for (const auto& g : _groups.list({})) out.push_back({g.group_id, g.state, g.protocol_type});
  return out;
}

std::optional<admin::group_detail> admin_view::group(const std::string& group_id) const {
  const auto description = _groups.describe(group_id);
  const auto fetched = _groups.fetch_offsets(group_id, std::nullopt, false);
  if (description.error != protocol::error_code::none) return std::nullopt;
  if (description.state == "Dead" && fetched.offsets.empty()) return std::nullopt;
  admin::group_detail detail;
  detail.group_id = group_id;
  detail.state = description.state;
  detail.protocol_type = description.protocol_type;
  detail.protocol = description.protocol_data;
  for (const auto& m : description.members) {
    detail.members.push_back({m.member_id, m.group_instance_id, m.client_id, m.client_host});
  }
  for (const auto& o : fetched.offsets) {
    if (o.error != protocol::error_code::none || o.offset < 0) continue;
    auto& offset = detail.offsets.emplace_back();
    offset.topic = o.partition.topic;
    offset.partition = o.partition.partition;
    offset.committed_offset = o.offset;
    if (o.metadata) offset.metadata.emplace(*o.metadata);
    if (auto log = _logs.get(offset.topic, offset.partition)) offset.high_watermark.emplace(log->high_watermark());
  }
  return detail;
}

std::optional<std::int64_t> admin_view::offset_for_timestamp(const std::string& topic, std::int32_t partition,
                                                             std::int64_t timestamp_ms) const {
  auto log = _logs.get(topic, partition);
  if (!log) return std::nullopt;
  auto found = log->offset_for_timestamp(timestamp_ms, log->high_watermark());
  if (!found) return std::nullopt;
  if (!found.value()) return log->high_watermark();
  return found.value()->offset;
}

admin::storage_usage admin_view::usage() const {
  admin::storage_usage usage;
  for (const auto& log : _logs.all_logs()) usage.log_bytes += log->size_bytes();
  struct statvfs fs {};
  if (::statvfs(_config.data_dir.c_str(), &fs) == 0) {
    usage.fs_free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    usage.fs_total_bytes = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
  }
  return usage;
}

std::size_t admin_view::connection_count() const { return _kafka.open_connections(); }

}  // namespace spate::app
