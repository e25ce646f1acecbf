// The in-broker lag source (lag_source.h).
#include "app/lag_source.h"

#include <algorithm>
#include <deque>
#include <exception>
#include <set>
#include <string_view>
#include <tuple>

#include "broker/fetch_positions.h"
#include "group/coordinator.h"
#include "protocol/consumer_protocol.h"
#include "storage/log_manager.h"
#include "storage/partition_log.h"

namespace spate::app {

// The control-record offsets of one partition's scanned window [from, to).
struct broker_lag_source::control_window {
  std::weak_ptr<storage::partition_log> log;  // a recreated topic has a new log: start over
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::deque<std::int64_t> controls;  // ascending, in [from, to)
  std::uint64_t used_tick = 0;
};

// One group's first unconsumed record in a partition, until its committed offset moves.
struct broker_lag_source::first_record {
  std::int64_t from = -1;
  std::int64_t end = -1;  // when the lookup found none: valid only until the end moves
  lag::millis timestamp = -1;
  bool known = false;
  std::uint64_t used_tick = 0;
};

// What this tick needs of one partition, over every group that committed for it.
struct broker_lag_source::partition_request {
  std::shared_ptr<storage::partition_log> log;
  std::int64_t log_start = -1;
  std::int64_t high_watermark = -1;
  std::int64_t last_stable = -1;
  std::int64_t min_from = INT64_MAX;
  std::int64_t max_end = -1;
};

namespace {

using fetch_key = std::tuple<std::string_view, std::string_view, std::string_view, std::int32_t>;
using client_key = std::pair<std::string_view, std::string_view>;

struct fetch_index {
  std::map<fetch_key, const broker::fetch_position*> by_partition;
  std::map<client_key, const broker::fetch_position*> latest_by_client;

  explicit fetch_index(const std::vector<broker::fetch_position>& all) {
    for (const auto& p : all) {
      by_partition[{p.client_id, p.host, p.topic, p.partition}] = &p;
      auto& latest = latest_by_client[{p.client_id, p.host}];
      if (!latest || latest->time_ms < p.time_ms) latest = &p;
    }
  }
};

// Partition -> index of the owning member, from the members' consumer-protocol assignments.
std::map<model::topic_partition, std::size_t> owners(const group::group_lag_snapshot& g) {
  std::map<model::topic_partition, std::size_t> out;
  if (g.protocol_type != "consumer") return out;
  for (std::size_t i = 0; i < g.members.size(); ++i) {
    try {
      const auto a = protocol::decode_member_assignment(g.members[i].assignment);
      if (!a) continue;
      for (const auto& [topic, partitions] : a->partitions)
        for (auto p : partitions) out[{topic, p}] = i;
    } catch (const std::exception&) {
      // Not a consumer-protocol assignment: that member owns nothing we can name.
    }
  }
  return out;
}

}  // namespace

broker_lag_source::broker_lag_source(storage::log_manager& logs, group::coordinator& groups,
                                     broker::fetch_positions& positions, lag_source_options options)
    : _logs(logs), _groups(groups), _positions(positions), _options(std::move(options)) {}

broker_lag_source::~broker_lag_source() = default;

lag::cluster_facts broker_lag_source::sample(lag::millis now) {
  ++_tick;
  lag::cluster_facts facts;
  facts.cluster = _options.cluster;
  facts.taken_at_ms = now;
  const auto snapshot = _groups.lag_snapshot();
  const auto fetches = _positions.snapshot();
  const fetch_index index(fetches);

  std::map<model::topic_partition, partition_request> requests;
  auto request_for = [&](const model::topic_partition& tp) -> partition_request& {
    auto [it, added] = requests.try_emplace(tp);
    if (added) {
      auto& r = it->second;
      r.log = _logs.get(tp.topic, tp.partition);
      if (r.log) {
        r.log_start = r.log->log_start_offset();
        r.high_watermark = r.log->high_watermark();
        r.last_stable = std::min(r.log->last_stable_offset(), r.high_watermark);
      }
    }
    return it->second;
  };

  // Pass 1: group facts, owners, ends; what each partition's window must cover.
  facts.groups.reserve(snapshot.size());
  for (const auto& g : snapshot) {
    auto& gf = facts.groups.emplace_back();
    gf.group = g.group_id;
    gf.state = g.state;
    // The isolation level of the group's most recent fetch by any member; remembered when the
    // group empties.
    const broker::fetch_position* latest = nullptr;
    for (const auto& m : g.members) {
      gf.members.push_back({m.member_id, m.client_id, m.client_host, m.last_heartbeat_ms});
      auto it = index.latest_by_client.find({m.client_id, m.client_host});
      if (it != index.latest_by_client.end() && (!latest || latest->time_ms < it->second->time_ms)) latest = it->second;
    }
    if (latest) _group_read_committed[g.group_id] = latest->read_committed;
    const auto remembered = _group_read_committed.find(g.group_id);
    const bool group_read_committed = remembered != _group_read_committed.end() && remembered->second;

    const auto owned = owners(g);
    for (const auto& o : g.offsets) {
      gf.last_commit_ms = std::max(gf.last_commit_ms, o.commit_timestamp);
      auto& pf = gf.partitions.emplace_back();
      pf.topic = o.partition.topic;
      pf.partition = o.partition.partition;
      pf.committed_offset = o.offset;
      pf.commit_time_ms = o.commit_timestamp;
      pf.read_committed = group_read_committed;
      if (auto own = owned.find(o.partition); own != owned.end()) {
        const auto& m = g.members[own->second];
        pf.owner_member_id = m.member_id;
        pf.owner_client_id = m.client_id;
        pf.owner_host = m.client_host;
        auto f = index.by_partition.find({m.client_id, m.client_host, o.partition.topic, o.partition.partition});
        if (f != index.by_partition.end()) {
          pf.fetch_position = f->second->offset;
          pf.fetch_time_ms = f->second->time_ms;
          pf.read_committed = f->second->read_committed;
        }
      }
      auto& r = request_for(o.partition);
      if (!r.log) continue;  // the topic is gone: offsets unknown
      pf.log_start_offset = r.log_start;
      pf.high_watermark = r.high_watermark;
      pf.last_stable_offset = r.last_stable;
      pf.end_offset = pf.read_committed ? r.last_stable : r.high_watermark;
      // Retention may have deleted what the group never read: lag counts from the log start.
      const auto from = std::max(o.offset, r.log_start);
      if (from < pf.end_offset) {
        r.min_from = std::min(r.min_from, from);
        r.max_end = std::max(r.max_end, pf.end_offset);
      }
    }
  }

  // Pass 2: extend each partition's window within the tick's header budget, starting at a
  // different partition each tick so a large backlog cannot starve the others.
  std::size_t budget = _options.header_budget;
  std::vector<std::pair<const model::topic_partition*, partition_request*>> order;
  for (auto& [tp, r] : requests)
    if (r.log && r.max_end >= 0) order.emplace_back(&tp, &r);
  if (!order.empty()) {
    const auto first = _rotation++ % order.size();
    std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(first), order.end());
  }
  for (auto [tp, r] : order) {
    auto& w = _windows[*tp];
    if (!w) w = std::make_unique<control_window>();
    w->used_tick = _tick;
    extend_window(*w, r->log, r->min_from, r->max_end, budget);
  }
  _last_headers_read = _options.header_budget - budget;

  // Pass 3: offset lag and the first unconsumed record's timestamp.
  std::size_t lookups = _options.timestamp_lookups;
  for (auto& gf : facts.groups) {
    for (auto& pf : gf.partitions) {
      const model::topic_partition tp{pf.topic, pf.partition};
      const auto& r = requests.at(tp);
      if (!r.log) continue;
      const auto from = std::max(pf.committed_offset, r.log_start);
      const auto end = pf.end_offset;
      if (from >= end) {
        pf.offset_lag = 0;
        continue;
      }
      std::optional<std::int64_t> controls;
      if (auto w = _windows.find(tp); w != _windows.end()) controls = control_count(*w->second, from, end);
      pf.offset_lag = end - from - controls.value_or(0);
      auto& cache = _first_records[{gf.group, tp}];
      if (!cache) cache = std::make_unique<first_record>();
      cache->used_tick = _tick;
      pf.first_unconsumed_timestamp_ms = pf.offset_lag > 0 ? first_unconsumed(*cache, *r.log, from, end, lookups) : -1;
    }
  }

  // Forget partitions and groups no longer sampled.
  std::erase_if(_windows, [this](const auto& e) { return e.second->used_tick != _tick; });
  std::erase_if(_first_records, [this](const auto& e) { return e.second->used_tick != _tick; });
  std::set<std::string_view> sampled;
  for (const auto& g : snapshot) sampled.insert(g.group_id);
  std::erase_if(_group_read_committed, [&](const auto& e) { return !sampled.contains(e.first); });
  return facts;
}

std::optional<std::int64_t> broker_lag_source::control_count(const control_window& w, std::int64_t from,
                                                             std::int64_t end) const {
  if (from < w.from || end > w.to) return std::nullopt;
  const auto lo = std::lower_bound(w.controls.begin(), w.controls.end(), from);
  const auto hi = std::lower_bound(lo, w.controls.end(), end);
  return static_cast<std::int64_t>(hi - lo);
}

void broker_lag_source::extend_window(control_window& w, const std::shared_ptr<storage::partition_log>& log,
                                      std::int64_t from, std::int64_t end, std::size_t& budget) {
  if (!log) return;
  const auto log_end = log->log_end_offset();
  const bool same_log = !w.log.expired() && !w.log.owner_before(log) && !log.owner_before(w.log);
  if (!same_log || from < w.from || from > w.to || w.to > log_end) {
    // New, rewound below the window, jumped past it, or a different log: start over at `from`.
    w.log = log;
    w.from = w.to = from;
    w.controls.clear();
  } else {
    while (!w.controls.empty() && w.controls.front() < from) w.controls.pop_front();
    w.from = from;
  }
  if (w.to >= end || budget == 0 || w.controls.size() >= _options.max_cached_controls) return;
  auto scan = log->scan_control_records(w.to, end, budget);
  if (!scan) {
    // Unreadable (an I/O error): approximate lag for this partition until a later tick reads it.
    w.log.reset();
    return;
  }
  budget -= std::min(budget, scan->batches_read);
  w.controls.insert(w.controls.end(), scan->control_offsets.begin(), scan->control_offsets.end());
  w.to = scan->scanned_to;
}

lag::millis broker_lag_source::first_unconsumed(first_record& cache, const storage::partition_log& log,
                                                std::int64_t from, std::int64_t end, std::size_t& lookups) {
  // A record found below the end stays the answer while the committed offset stays; "none"
  // (only markers up to the end) holds only until more is produced.
  if (cache.known && cache.from == from && (cache.timestamp >= 0 || cache.end == end)) return cache.timestamp;
  if (lookups == 0) return -1;
  --lookups;
  auto r = log.first_data_record(from, end, _options.headers_per_lookup);
  if (!r || !r->complete) return -1;
  cache.known = true;
  cache.from = from;
  cache.end = end;
  cache.timestamp = r->record ? r->record->timestamp : -1;
  return cache.timestamp;
}

}  // namespace spate::app
