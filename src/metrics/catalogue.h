#pragma once
// The one list of every metric family spate exports: name, type, help, labels, unit and the Kafka
// JMX metric an operator may know it by. The registry registers only families listed here, and
// docs/metrics.md is generated from this list (`spate docs metrics`), so what is exported and what
// is documented cannot drift apart.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace spate::metrics {

enum class metric_type : std::uint8_t { counter, gauge, histogram };

std::string_view type_name(metric_type type);

struct family_spec {
  std::string_view name;  // Prometheus conventions: base units, counters end in _total
  metric_type type;
  std::string_view help;
  std::span<const std::string_view> labels;
  std::string_view unit;            // "seconds", "bytes", ... or "" for a plain count
  std::string_view jmx;             // Kafka's nearest JMX metric, or "" when Kafka has none
  std::span<const double> buckets;  // histograms only: upper bounds, ascending (+Inf implied)
  std::string_view note = {};       // when it is exported, if not always
};

// Family names, for code that registers or looks them up.
namespace names {
inline constexpr std::string_view requests_total = "spate_requests_total";
inline constexpr std::string_view request_errors_total = "spate_request_errors_total";
inline constexpr std::string_view request_queue_seconds = "spate_request_queue_seconds";
inline constexpr std::string_view request_handle_seconds = "spate_request_handle_seconds";
inline constexpr std::string_view request_send_seconds = "spate_request_send_seconds";
inline constexpr std::string_view request_duration_seconds = "spate_request_duration_seconds";
inline constexpr std::string_view topic_bytes_in_total = "spate_topic_bytes_in_total";
inline constexpr std::string_view topic_records_in_total = "spate_topic_records_in_total";
inline constexpr std::string_view topic_bytes_out_total = "spate_topic_bytes_out_total";
inline constexpr std::string_view topic_records_out_total = "spate_topic_records_out_total";
inline constexpr std::string_view topic_partitions = "spate_topic_partitions";
inline constexpr std::string_view topic_log_size_bytes = "spate_topic_log_size_bytes";
inline constexpr std::string_view partition_log_size_bytes = "spate_partition_log_size_bytes";
inline constexpr std::string_view partition_log_end_offset = "spate_partition_log_end_offset";
inline constexpr std::string_view storage_fsync_seconds = "spate_storage_fsync_seconds";
inline constexpr std::string_view storage_group_commit_batches = "spate_storage_group_commit_batches";
inline constexpr std::string_view storage_failed_partitions = "spate_storage_failed_partitions";
inline constexpr std::string_view storage_partition_recoveries_total = "spate_storage_partition_recoveries_total";
inline constexpr std::string_view connections_active = "spate_connections_active";
inline constexpr std::string_view connections_accepted_total = "spate_connections_accepted_total";
inline constexpr std::string_view tls_handshake_failures_total = "spate_tls_handshake_failures_total";
inline constexpr std::string_view sasl_authentications_total = "spate_sasl_authentications_total";
inline constexpr std::string_view sasl_authentication_failures_total = "spate_sasl_authentication_failures_total";
inline constexpr std::string_view admin_authentication_failures_total = "spate_admin_authentication_failures_total";
inline constexpr std::string_view sasl_reauthentications_total = "spate_sasl_reauthentications_total";
inline constexpr std::string_view sasl_expired_sessions_closed_total = "spate_sasl_expired_sessions_closed_total";
inline constexpr std::string_view consumer_groups = "spate_consumer_groups";
inline constexpr std::string_view consumer_group_rebalances_total = "spate_consumer_group_rebalances_total";
inline constexpr std::string_view transactions_open = "spate_transactions_open";
inline constexpr std::string_view transactions_committed_total = "spate_transactions_committed_total";
inline constexpr std::string_view transactions_aborted_total = "spate_transactions_aborted_total";
inline constexpr std::string_view log_cleaner_cleanings_total = "spate_log_cleaner_cleanings_total";
inline constexpr std::string_view log_cleaner_bytes_read_total = "spate_log_cleaner_bytes_read_total";
inline constexpr std::string_view log_cleaner_bytes_written_total = "spate_log_cleaner_bytes_written_total";
inline constexpr std::string_view log_cleaner_records_removed_total = "spate_log_cleaner_records_removed_total";
inline constexpr std::string_view log_cleaner_seconds_total = "spate_log_cleaner_seconds_total";
inline constexpr std::string_view log_cleaner_max_dirty_ratio = "spate_log_cleaner_max_dirty_ratio";
inline constexpr std::string_view partition_dirty_ratio = "spate_partition_dirty_ratio";
inline constexpr std::string_view disk_quota_state = "spate_disk_quota_state";
inline constexpr std::string_view disk_quota_used_bytes = "spate_disk_quota_used_bytes";
inline constexpr std::string_view disk_quota_limit_bytes = "spate_disk_quota_limit_bytes";
inline constexpr std::string_view disk_quota_usage_percent = "spate_disk_quota_usage_percent";
inline constexpr std::string_view disk_quota_throttled_requests_total = "spate_disk_quota_throttled_requests_total";
inline constexpr std::string_view disk_quota_throttle_seconds_total = "spate_disk_quota_throttle_seconds_total";
inline constexpr std::string_view disk_quota_refused_requests_total = "spate_disk_quota_refused_requests_total";
inline constexpr std::string_view disk_quota_trimmed_segments_total = "spate_disk_quota_trimmed_segments_total";
inline constexpr std::string_view disk_quota_trimmed_bytes_total = "spate_disk_quota_trimmed_bytes_total";
inline constexpr std::string_view disk_quota_trimmed_unread_records_total =
    "spate_disk_quota_trimmed_unread_records_total";
inline constexpr std::string_view process_cpu_seconds_total = "process_cpu_seconds_total";
inline constexpr std::string_view process_resident_memory_bytes = "process_resident_memory_bytes";
inline constexpr std::string_view process_virtual_memory_bytes = "process_virtual_memory_bytes";
inline constexpr std::string_view process_open_fds = "process_open_fds";
inline constexpr std::string_view process_max_fds = "process_max_fds";
inline constexpr std::string_view process_start_time_seconds = "process_start_time_seconds";
inline constexpr std::string_view process_threads = "process_threads";
}  // namespace names

// Every family, in the order of the exposition and the docs.
std::span<const family_spec> catalogue();

// nullptr when `name` is not in the catalogue.
const family_spec* find_family(std::string_view name);

// docs/metrics.md.
std::string metrics_markdown();

}  // namespace spate::metrics
