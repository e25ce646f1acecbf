#include "app/broker_metrics.h"

#include "broker/sasl_authenticator.h"

#include <algorithm>
#include <map>
#include <string>

#include "admin/basic_auth.h"
#include "app/disk_quota_service.h"
#include "app/log_cleaner_service.h"
#include "group/coordinator.h"
#include "metrics/process.h"
#include "protocol/api_key.h"
#include "protocol/error_code.h"
#include "storage/log_manager.h"
#include "txn/transaction_coordinator.h"

namespace spate::app {
namespace {

metrics::request_labels kafka_labels() {
  return {[](std::int16_t key) { return std::string(protocol::api_name(static_cast<protocol::api_key>(key))); },
          [](std::int16_t code) { return std::string(protocol::error_name(static_cast<protocol::error_code>(code))); }};
}

}  // namespace

broker_metrics_wiring::broker_metrics_wiring() : _metrics(_registry, kafka_labels()) {
  metrics::collect_process_metrics(_registry);
}

void broker_metrics_wiring::request_completed(const net::request_timing& timing) noexcept {
  const auto key = static_cast<std::int16_t>(timing.frame_prefix >> 16);
  const auto version = static_cast<std::int16_t>(timing.frame_prefix & 0xffff);
  _metrics.requests().record_request(key, version, {timing.queue, timing.handle, timing.send});
}

void broker_metrics_wiring::collect_topics(const storage::log_manager& logs, bool partition_labels) {
  namespace names = metrics::names;
  // One pass over the logs per family: a scrape is rare and the log list is a snapshot.
  auto per_topic = [&logs](auto value) {
    return [&logs, value](metrics::sample_sink& sink) {
      std::map<std::string, double> sums;
      for (const auto& log : logs.all_logs()) sums[log->topic()] += value(*log);
      for (const auto& [topic, v] : sums) sink.sample({topic}, v);
    };
  };
  using plog = storage::partition_log;
  auto relaxed = [](const std::atomic<std::uint64_t>& a) {
    return static_cast<double>(a.load(std::memory_order_relaxed));
  };
  _metrics.collect(names::topic_bytes_in_total,
                   per_topic([relaxed](const plog& l) { return relaxed(l.traffic().bytes_in); }));
  _metrics.collect(names::topic_records_in_total,
                   per_topic([relaxed](const plog& l) { return relaxed(l.traffic().records_in); }));
  _metrics.collect(names::topic_bytes_out_total,
                   per_topic([relaxed](const plog& l) { return relaxed(l.traffic().bytes_out); }));
  _metrics.collect(names::topic_records_out_total,
                   per_topic([relaxed](const plog& l) { return relaxed(l.traffic().records_out); }));
  _metrics.collect(names::topic_partitions, per_topic([](const plog&) { return 1.0; }));
  _metrics.collect(names::topic_log_size_bytes,
                   per_topic([](const plog& l) { return static_cast<double>(l.size_bytes()); }));
  _metrics.collect(names::storage_failed_partitions, [&logs](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(logs.failed_log_count()));
  });
  _metrics.collect(names::storage_partition_recoveries_total, [&logs](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(logs.recoveries_total()));
  });
  if (!partition_labels) return;
  auto per_partition = [&logs](auto value) {
    return [&logs, value](metrics::sample_sink& sink) {
      for (const auto& log : logs.all_logs()) {
        const auto partition = std::to_string(log->partition());
        sink.sample({std::string_view(log->topic()), std::string_view(partition)}, value(*log));
      }
    };
  };
  _metrics.collect(names::partition_log_size_bytes,
                   per_partition([](const plog& l) { return static_cast<double>(l.size_bytes()); }));
  _metrics.collect(names::partition_log_end_offset,
                   per_partition([](const plog& l) { return static_cast<double>(l.log_end_offset()); }));
}

void broker_metrics_wiring::collect_groups(const group::coordinator& groups) {
  _metrics.collect(metrics::names::consumer_groups, [&groups](metrics::sample_sink& sink) {
    // Every state appears, zero included, so a dashboard's series do not come and go.
    std::map<std::string, double> counts{
        {"Empty", 0}, {"PreparingRebalance", 0}, {"CompletingRebalance", 0}, {"Stable", 0}, {"Dead", 0}};
    for (const auto& g : groups.list({})) counts[g.state] += 1;
    for (const auto& [state, n] : counts) sink.sample({state}, n);
  });
  _metrics.collect(metrics::names::consumer_group_rebalances_total, [&groups](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(groups.rebalances_started()));
  });
}

void broker_metrics_wiring::collect_transactions(const txn::transaction_coordinator& transactions) {
  _metrics.collect(metrics::names::transactions_open, [&transactions](metrics::sample_sink& sink) {
    double open = 0;
    for (const auto& t : transactions.list({}, {}, -1).transactions) {
      if (t.state == "Ongoing" || t.state == "PrepareCommit" || t.state == "PrepareAbort") open += 1;
    }
    sink.sample({}, open);
  });
  _metrics.collect(metrics::names::transactions_committed_total, [&transactions](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(transactions.transactions_committed()));
  });
  _metrics.collect(metrics::names::transactions_aborted_total, [&transactions](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(transactions.transactions_aborted()));
  });
}

void broker_metrics_wiring::collect_connections(const net::server& server) {
  _metrics.collect(metrics::names::connections_active, [&server](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(server.open_connections()));
  });
  _metrics.collect(metrics::names::connections_accepted_total, [&server](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(server.accepted_connections()));
  });
  _metrics.collect(metrics::names::tls_handshake_failures_total, [&server](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(server.tls_handshake_failures()));
  });
}

void broker_metrics_wiring::collect_sasl(const broker::sasl_authenticator& sasl) {
  _metrics.collect(metrics::names::sasl_authentications_total,
                   [&sasl](metrics::sample_sink& sink) { sink.sample({}, static_cast<double>(sasl.successes())); });
  _metrics.collect(metrics::names::sasl_authentication_failures_total,
                   [&sasl](metrics::sample_sink& sink) { sink.sample({}, static_cast<double>(sasl.failures())); });
  _metrics.collect(metrics::names::sasl_reauthentications_total, [&sasl](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(sasl.reauthentications()));
  });
  _metrics.collect(metrics::names::sasl_expired_sessions_closed_total, [&sasl](metrics::sample_sink& sink) {
    sink.sample({}, static_cast<double>(sasl.expired_sessions()));
  });
}

void broker_metrics_wiring::collect_admin_authentication(std::shared_ptr<const admin::basic_authenticator> basic) {
  _metrics.collect(metrics::names::admin_authentication_failures_total,
                   [basic = std::move(basic)](metrics::sample_sink& sink) {
                     sink.sample({}, static_cast<double>(basic->failures()));
                   });
}

void broker_metrics_wiring::collect_cleaner(const log_cleaner_service& cleaner, bool partition_labels) {
  using totals = log_cleaner_service::totals;
  const auto total = [this, &cleaner](std::string_view name, double (*pick)(const totals&)) {
    _metrics.collect(name, [&cleaner, pick](metrics::sample_sink& sink) { sink.sample({}, pick(cleaner.snapshot())); });
  };
  total(metrics::names::log_cleaner_cleanings_total, [](const totals& t) { return static_cast<double>(t.cleanings); });
  total(metrics::names::log_cleaner_bytes_read_total,
        [](const totals& t) { return static_cast<double>(t.bytes_read); });
  total(metrics::names::log_cleaner_bytes_written_total,
        [](const totals& t) { return static_cast<double>(t.bytes_written); });
  total(metrics::names::log_cleaner_records_removed_total,
        [](const totals& t) { return static_cast<double>(t.records_removed); });
  total(metrics::names::log_cleaner_seconds_total, [](const totals& t) { return t.seconds; });
  _metrics.collect(metrics::names::log_cleaner_max_dirty_ratio, [&cleaner](metrics::sample_sink& sink) {
    double max_dirty = 0;
    for (const auto& p : cleaner.logs().cleaner_states()) max_dirty = std::max(max_dirty, p.dirty_ratio);
    sink.sample({}, max_dirty);
  });
  if (!partition_labels) return;
  _metrics.collect(metrics::names::partition_dirty_ratio, [&cleaner](metrics::sample_sink& sink) {
    for (const auto& p : cleaner.logs().cleaner_states())
      sink.sample({p.topic, std::to_string(p.partition)}, p.dirty_ratio);
  });
}

void broker_metrics_wiring::collect_disk_quota(disk_quota_service& quota) {
  const auto gauge = [this, &quota](std::string_view name, double (*pick)(disk_quota_service&)) {
    _metrics.collect(name, [&quota, pick](metrics::sample_sink& sink) { sink.sample({}, pick(quota)); });
  };
  gauge(metrics::names::disk_quota_state,
        [](disk_quota_service& q) { return static_cast<double>(static_cast<int>(q.gate().state())); });
  gauge(metrics::names::disk_quota_used_bytes,
        [](disk_quota_service& q) { return static_cast<double>(q.gate().estimate().used_bytes); });
  gauge(metrics::names::disk_quota_limit_bytes, [](disk_quota_service& q) {
    const auto quota_bytes = q.gate().limits().quota_bytes;
    return static_cast<double>(quota_bytes > 0 ? quota_bytes : q.gate().estimate().fs_total_bytes);
  });
  gauge(metrics::names::disk_quota_usage_percent,
        [](disk_quota_service& q) { return quota::usage_percent(q.gate().limits(), q.gate().estimate()); });
  gauge(metrics::names::disk_quota_throttled_requests_total,
        [](disk_quota_service& q) { return static_cast<double>(q.gate().throttled_requests()); });
  gauge(metrics::names::disk_quota_throttle_seconds_total,
        [](disk_quota_service& q) { return static_cast<double>(q.gate().throttle_ms_total()) / 1000.0; });
  gauge(metrics::names::disk_quota_refused_requests_total,
        [](disk_quota_service& q) { return static_cast<double>(q.gate().refused_requests()); });
  gauge(metrics::names::disk_quota_trimmed_segments_total,
        [](disk_quota_service& q) { return static_cast<double>(q.snapshot().trimmed_segments); });
  gauge(metrics::names::disk_quota_trimmed_bytes_total,
        [](disk_quota_service& q) { return static_cast<double>(q.snapshot().trimmed_bytes); });
  _metrics.collect(metrics::names::disk_quota_trimmed_unread_records_total, [&quota](metrics::sample_sink& sink) {
    for (const auto& [group, unread] : quota.group_losses()) sink.sample({group}, static_cast<double>(unread));
  });
}

}  // namespace spate::app
