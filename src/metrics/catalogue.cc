#include "metrics/catalogue.h"

#include <array>

#include <fmt/format.h>

namespace spate::metrics {
namespace {

using namespace std::string_view_literals;

constexpr std::array<std::string_view, 0> no_labels{};
constexpr std::array api_version{"api"sv, "version"sv};
constexpr std::array api_error{"api"sv, "error"sv};
constexpr std::array api{"api"sv};
constexpr std::array topic{"topic"sv};
constexpr std::array topic_partition{"topic"sv, "partition"sv};
constexpr std::array state{"state"sv};
constexpr std::array group{"group"sv};

// From 100 µs (a produce to the page cache) to 10 s (a long poll or a slow fsync).
constexpr std::array latency_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
constexpr std::array batch_buckets{1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0};
constexpr std::array<double, 0> no_buckets{};

constexpr std::string_view per_partition = "only with `metrics.partition.labels=true`";

const std::array families{
    // Requests (recorded by the network layer and the dispatcher).
    family_spec{names::requests_total, metric_type::counter, "Requests received, by API and version.", api_version, "",
                "kafka.network:type=RequestMetrics,name=RequestsPerSec,request={api},version={version}", no_buckets},
    family_spec{names::request_errors_total, metric_type::counter,
                "Errors returned, by API and Kafka error name; a response with several failed partitions counts "
                "each (Produce, Fetch).",
                api_error, "", "kafka.network:type=RequestMetrics,name=ErrorsPerSec,request={api},error={error}",
                no_buckets},
    family_spec{names::request_queue_seconds, metric_type::histogram,
                "Time from a request's last byte read to its handler starting.", api, "seconds",
                "kafka.network:type=RequestMetrics,name=RequestQueueTimeMs,request={api}", latency_buckets},
    family_spec{names::request_handle_seconds, metric_type::histogram,
                "Time in the handler, including waits for durability and long polls.", api, "seconds",
                "kafka.network:type=RequestMetrics,name=LocalTimeMs (+ RemoteTimeMs),request={api}", latency_buckets},
    family_spec{names::request_send_seconds, metric_type::histogram,
                "Time from the handler's completion until the response is written (waiting for earlier "
                "responses of the connection, then the write).",
                api, "seconds",
                "kafka.network:type=RequestMetrics,name=ResponseQueueTimeMs + ResponseSendTimeMs,request={api}",
                latency_buckets},
    family_spec{names::request_duration_seconds, metric_type::histogram,
                "Total time of a request, read to response written; api=\"Produce\" and api=\"Fetch\" give "
                "produce and fetch latency.",
                api, "seconds", "kafka.network:type=RequestMetrics,name=TotalTimeMs,request={api}", latency_buckets},
    // Topics.
    family_spec{names::topic_bytes_in_total, metric_type::counter, "Record batch bytes appended by producers.", topic,
                "bytes", "kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,topic={topic}", no_buckets},
    family_spec{names::topic_records_in_total, metric_type::counter, "Records appended by producers.", topic, "",
                "kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic={topic}", no_buckets},
    family_spec{names::topic_bytes_out_total, metric_type::counter, "Record batch bytes returned to fetches.", topic,
                "bytes", "kafka.server:type=BrokerTopicMetrics,name=BytesOutPerSec,topic={topic}", no_buckets},
    family_spec{names::topic_records_out_total, metric_type::counter,
                "Records in the batches returned to fetches (whole batches, as sent).", topic, "", "", no_buckets},
    family_spec{names::topic_partitions, metric_type::gauge, "Partitions of each topic.", topic, "",
                "kafka.server:type=ReplicaManager,name=PartitionCount (broker total)", no_buckets},
    family_spec{names::topic_log_size_bytes, metric_type::gauge, "Bytes of the topic's segments on disk.", topic,
                "bytes", "kafka.log:type=Log,name=Size (summed over partitions)", no_buckets},
    family_spec{names::partition_log_size_bytes, metric_type::gauge, "Bytes of the partition's segments on disk.",
                topic_partition, "bytes", "kafka.log:type=Log,name=Size,topic={topic},partition={partition}",
                no_buckets, per_partition},
    family_spec{names::partition_log_end_offset, metric_type::gauge, "The partition's log end offset.", topic_partition,
                "", "kafka.log:type=Log,name=LogEndOffset,topic={topic},partition={partition}", no_buckets,
                per_partition},
    // Storage.
    family_spec{names::storage_fsync_seconds, metric_type::histogram,
                "Duration of each group-commit fdatasync of a partition log.", no_labels, "seconds",
                "kafka.log:type=LogFlushStats,name=LogFlushRateAndTimeMs", latency_buckets},
    family_spec{names::storage_group_commit_batches, metric_type::histogram,
                "Appends made durable by one group-commit fdatasync.", no_labels, "", "", batch_buckets},
    family_spec{names::storage_failed_partitions, metric_type::gauge,
                "Partition logs failed by a write or fdatasync error and not yet recovered (they answer "
                "KAFKA_STORAGE_ERROR meanwhile).",
                no_labels, "", "kafka.server:type=ReplicaManager,name=OfflineReplicaCount", no_buckets},
    family_spec{names::storage_partition_recoveries_total, metric_type::counter,
                "Failed partition logs recovered in the background, without a restart.", no_labels, "", "", no_buckets},
    // Network.
    family_spec{names::connections_active, metric_type::gauge, "Client connections open.", no_labels, "",
                "kafka.server:type=socket-server-metrics,name=connection-count", no_buckets},
    family_spec{names::connections_accepted_total, metric_type::counter, "Client connections accepted.", no_labels, "",
                "kafka.server:type=socket-server-metrics,name=connection-creation-total", no_buckets},
    family_spec{names::tls_handshake_failures_total, metric_type::counter,
                "TLS handshakes that failed on SSL and SASL_SSL listeners: untrusted, expired or missing client "
                "certificates, plaintext clients, timeouts (each also logged once, rate-limited).",
                no_labels, "",
                "kafka.server:type=socket-server-metrics,name=failed-authentication-total (its TLS part)", no_buckets},
    family_spec{names::sasl_authentications_total, metric_type::counter,
                "Successful SASL authentications on SASL_PLAINTEXT and SASL_SSL listeners.", no_labels, "",
                "kafka.server:type=socket-server-metrics,name=successful-authentication-total", no_buckets},
    family_spec{names::sasl_authentication_failures_total, metric_type::counter,
                "Failed SASL authentications (each answered after a delay growing with the peer's recent failures, "
                "then the connection is closed).",
                no_labels, "", "kafka.server:type=socket-server-metrics,name=failed-authentication-total", no_buckets},
    family_spec{names::admin_authentication_failures_total, metric_type::counter,
                "Admin API requests refused with 401 (admin.authentication=basic: missing or wrong credentials).",
                no_labels, "", "", no_buckets},
    family_spec{names::sasl_reauthentications_total, metric_type::counter,
                "Successful SASL re-authentications of authenticated connections (KIP-368).", no_labels, "",
                "kafka.server:type=socket-server-metrics,name=successful-reauthentication-total", no_buckets},
    family_spec{names::sasl_expired_sessions_closed_total, metric_type::counter,
                "Connections closed because their SASL session expired (connections.max.reauth.ms) without "
                "re-authentication.",
                no_labels, "", "kafka.server:type=socket-server-metrics,name=expired-connections-killed-count",
                no_buckets},
    // Consumer groups.
    family_spec{names::consumer_groups, metric_type::gauge, "Consumer groups by state.", state, "",
                "kafka.coordinator.group:type=GroupMetadataManager,name=NumGroups{State}", no_buckets},
    family_spec{names::consumer_group_rebalances_total, metric_type::counter,
                "Rebalances started (a group entering PreparingRebalance).", no_labels, "",
                "kafka.server:type=group-coordinator-metrics,name=group-rebalance-count", no_buckets},
    // Transactions.
    family_spec{names::transactions_open, metric_type::gauge, "Transactions begun and not yet completed.", no_labels,
                "", "", no_buckets},
    family_spec{names::transactions_committed_total, metric_type::counter, "Transactions committed.", no_labels, "", "",
                no_buckets},
    family_spec{names::transactions_aborted_total, metric_type::counter,
                "Transactions aborted, by the client or on timeout.", no_labels, "", "", no_buckets},
    // The log cleaner (compaction).
    family_spec{names::log_cleaner_cleanings_total, metric_type::counter,
                "Cleanings (compactions) of a partition done.", no_labels, "", "", no_buckets},
    family_spec{names::log_cleaner_bytes_read_total, metric_type::counter, "Bytes the cleaner read from segments.",
                no_labels, "bytes", "", no_buckets},
    family_spec{names::log_cleaner_bytes_written_total, metric_type::counter,
                "Bytes the cleaner wrote as cleaned segments.", no_labels, "bytes", "", no_buckets},
    family_spec{names::log_cleaner_records_removed_total, metric_type::counter,
                "Records the cleaner removed (superseded, expired tombstones, aborted).", no_labels, "", "",
                no_buckets},
    family_spec{names::log_cleaner_seconds_total, metric_type::counter, "Time the cleaner spent cleaning.", no_labels,
                "seconds", "kafka.log:type=LogCleaner,name=max-clean-time-secs", no_buckets},
    family_spec{
        names::log_cleaner_max_dirty_ratio, metric_type::gauge,
        "The highest dirty ratio (uncleaned bytes over all bytes of closed segments) of any compacted partition.",
        no_labels, "", "kafka.log:type=LogCleanerManager,name=max-dirty-percent", no_buckets},
    family_spec{names::partition_dirty_ratio, metric_type::gauge,
                "Dirty ratio of a compacted partition: bytes not yet cleaned over the bytes of its closed segments.",
                topic_partition, "", "", no_buckets, per_partition},
    // The disk quota (docs/disk-quota.md).
    family_spec{names::disk_quota_state, metric_type::gauge, "Disk quota state: 0 normal, 1 soft, 2 hard.", no_labels,
                "", "", no_buckets},
    family_spec{names::disk_quota_used_bytes, metric_type::gauge,
                "Bytes the data directory uses (segments kept as they change, the rest reconciled by a walk).",
                no_labels, "bytes", "", no_buckets},
    family_spec{names::disk_quota_limit_bytes, metric_type::gauge,
                "The limit usage is a percentage of: disk.quota.bytes, else the filesystem's size.", no_labels, "bytes",
                "", no_buckets},
    family_spec{names::disk_quota_usage_percent, metric_type::gauge,
                "Usage as a percentage of the limit (the higher of the quota's and the filesystem's).", no_labels, "",
                "", no_buckets},
    family_spec{names::disk_quota_throttled_requests_total, metric_type::counter,
                "Produce requests throttled by the disk quota's soft state.", no_labels, "", "", no_buckets},
    family_spec{names::disk_quota_throttle_seconds_total, metric_type::counter,
                "Throttle time the disk quota gave producers.", no_labels, "seconds", "", no_buckets},
    family_spec{names::disk_quota_refused_requests_total, metric_type::counter,
                "Produce requests refused (KAFKA_STORAGE_ERROR, retriable) in the hard state.", no_labels, "", "",
                no_buckets},
    family_spec{names::disk_quota_trimmed_segments_total, metric_type::counter, "Segments the trim policy deleted.",
                no_labels, "", "", no_buckets},
    family_spec{names::disk_quota_trimmed_bytes_total, metric_type::counter, "Bytes the trim policy deleted.",
                no_labels, "bytes", "", no_buckets},
    family_spec{names::disk_quota_trimmed_unread_records_total, metric_type::counter,
                "Records (offsets) the trim policy deleted before this consumer group had read them.", group, "", "",
                no_buckets},
    // The process (Prometheus' standard names, read from /proc/self).
    family_spec{names::process_cpu_seconds_total, metric_type::counter, "User and system CPU time spent.", no_labels,
                "seconds", "java.lang:type=OperatingSystem,name=ProcessCpuTime", no_buckets},
    family_spec{names::process_resident_memory_bytes, metric_type::gauge, "Resident memory size.", no_labels, "bytes",
                "", no_buckets},
    family_spec{names::process_virtual_memory_bytes, metric_type::gauge, "Virtual memory size.", no_labels, "bytes",
                "java.lang:type=OperatingSystem,name=CommittedVirtualMemorySize", no_buckets},
    family_spec{names::process_open_fds, metric_type::gauge, "Open file descriptors.", no_labels, "",
                "java.lang:type=OperatingSystem,name=OpenFileDescriptorCount", no_buckets},
    family_spec{names::process_max_fds, metric_type::gauge, "Limit of open file descriptors.", no_labels, "",
                "java.lang:type=OperatingSystem,name=MaxFileDescriptorCount", no_buckets},
    family_spec{names::process_start_time_seconds, metric_type::gauge,
                "Start time of the process since the Unix epoch.", no_labels, "seconds",
                "java.lang:type=Runtime,name=StartTime", no_buckets},
    family_spec{names::process_threads, metric_type::gauge, "Threads of the process.", no_labels, "",
                "java.lang:type=Threading,name=ThreadCount", no_buckets},
};

}  // namespace

std::string_view type_name(metric_type type) {
  switch (type) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

std::span<const family_spec> catalogue() { return families; }

const family_spec* find_family(std::string_view name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string metrics_markdown() {
  std::string out =
      "# Metrics\n\n"
      "<!-- Generated from the metrics catalogue (src/metrics/catalogue.cc): run\n"
      "     `build/spate docs metrics > docs/metrics.md`. CI fails when this page is stale. -->\n\n"
      "spate serves Prometheus' text exposition format (0.0.4) at `GET /metrics` on the admin "
      "address. `metrics.enabled=false` turns recording off and makes `/metrics` answer 404. "
      "Histograms have `_bucket{le=...}`, `_sum` and `_count` series; latencies are in seconds. The "
      "JMX column names the Kafka metric an operator may know; Kafka's `PerSec` meters are rates, "
      "which PromQL computes from the counters (`rate(spate_topic_bytes_in_total[1m])`).\n\n"
      "| name | type | labels | unit | help | Kafka JMX equivalent |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& f : families) {
    std::string labels;
    for (const auto& l : f.labels) labels += fmt::format("{}`{}`", labels.empty() ? "" : ", ", l);
    std::string help(f.help);
    if (!f.note.empty()) help += fmt::format(" ({})", f.note);
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", f.name, type_name(f.type), labels.empty() ? "—" : labels,
                       f.unit.empty() ? "—" : f.unit, help, f.jmx.empty() ? "—" : fmt::format("`{}`", f.jmx));
  }
  return out;
}

}  // namespace spate::metrics
