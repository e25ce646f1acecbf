#include "broker/txn_markers.h"

#include <atomic>

#include "base/log.h"
#include "base/log_limit.h"
#include "group/offsets_topic.h"
#include "model/topic_name.h"

namespace spate::broker {
namespace {

struct pending_markers {
  explicit pending_markers(std::size_t n, std::function<void(std::vector<storage::errc>)> cb)
      : remaining(n), results(n, storage::errc::success), done(std::move(cb)) {}
  std::atomic<std::size_t> remaining;
  std::vector<storage::errc> results;
  std::function<void(std::vector<storage::errc>)> done;

  void finish(std::size_t i, storage::errc e) {
    results[i] = e;
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) done(std::move(results));
  }
};

}  // namespace

void txn_markers::write_markers(std::int64_t producer_id, std::int16_t producer_epoch, std::int32_t coordinator_epoch,
                                bool commit, std::vector<txn::topic_partition> partitions,
                                std::function<void(std::vector<storage::errc>)> done) {
  if (partitions.empty()) {
    done({});
    return;
  }
  auto pending = std::make_shared<pending_markers>(partitions.size(), std::move(done));
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    const auto& tp = partitions[i];
    auto log = _logs.get(tp.topic, tp.partition);
    if (!log) {
      pending->finish(i, storage::errc::unknown_topic_or_partition);
      continue;
    }
    auto appended = log->append_marker(producer_id, producer_epoch, coordinator_epoch, commit);
    if (!appended) {
      SPATE_LOG_WARN_RATE_LIMITED("event=txn_marker_failed topic={} partition={} producer_id={} error={}", tp.topic,
                                  tp.partition, producer_id, storage::to_string(appended.error()));
      pending->finish(i, appended.error());
      continue;
    }
    const bool offsets = tp.topic == model::consumer_offsets_topic;
    log->on_durable(appended->last_offset, [this, pending, i, key = log.get(), offsets, producer_id, commit,
                                            partition = tp.partition](storage::errc e) {
      if (e == storage::errc::success) {
        _waiters->notify(key);
        if (offsets) _groups.complete_transaction(producer_id, commit, partition);
      }
      pending->finish(i, e);
    });
  }
}

}  // namespace spate::broker
