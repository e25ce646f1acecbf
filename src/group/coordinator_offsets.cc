// The group coordinator's offsets: OffsetCommit and TxnOffsetCommit (both through store_offsets),
// transaction markers settling pending offsets, OffsetFetch, and offsets leaving with a deleted
// topic or by expiry.
#include <algorithm>

#include "base/log.h"
#include "group/coordinator.h"
#include "group/coordinator_internal.h"
#include "group/membership.h"
#include "group/offsets_records.h"

namespace spate::group {
namespace {

// An OffsetCommit or TxnOffsetCommit from a group member, to be validated as one (a simple
// commit names no generation, member or instance).
bool names_member(std::int32_t generation_id, const std::string& member_id,
                  const std::optional<std::string>& instance_id) {
  return generation_id >= 0 || !member_id.empty() || instance_id;
}

std::size_t metadata_limit(const coordinator_config& config) {
  return std::min(static_cast<std::size_t>(config.max_metadata_bytes), max_record_string_bytes);
}

// The offsets of an OffsetCommit or TxnOffsetCommit, checked and encoded.
struct prepared_commit {
  commit_result result;  // partition errors, in request order
  std::vector<offsets_record> records;
  std::vector<std::pair<topic_partition, committed_offset>> written;  // one per record, in order
};

// Kafka's storeOffsets: a partition whose metadata is too long is refused, the others written.
// `retention_time_ms` != -1: OffsetCommit v2-v4 retention, from now whatever commit timestamp
// the request named.
prepared_commit prepare_commit(const std::string& group_id,
                               std::vector<std::pair<topic_partition, committed_offset>>& offsets, std::int64_t now,
                               std::int64_t retention_time_ms, std::size_t metadata_limit) {
  prepared_commit out;
  for (auto& [tp, offset] : offsets) {
    if (offset.metadata && offset.metadata->size() > metadata_limit) {
      out.result.partition_errors.push_back(error_code::offset_metadata_too_large);
      continue;
    }
    out.result.partition_errors.push_back(error_code::none);
    if (offset.commit_timestamp < 0) offset.commit_timestamp = now;
    if (retention_time_ms != -1) offset.expire_timestamp = now + retention_time_ms;
    offset_value value{.offset = offset.offset,
                       .leader_epoch = offset.leader_epoch,
                       .metadata = offset.metadata.value_or(""),
                       .commit_timestamp = offset.commit_timestamp,
                       .expire_timestamp = offset.expire_timestamp};
    out.records.push_back({encode_key(offset_key{group_id, tp.topic, tp.partition}), encode_value(value)});
    out.written.emplace_back(tp, std::move(offset));
  }
  return out;
}

// A failed append fails every partition that was written.
void fail_written(commit_result& result, error_code e) {
  if (e == error_code::none) return;
  for (auto& pe : result.partition_errors) {
    if (pe == error_code::none) pe = e;
  }
}

// The log offset of the i-th record of a batch whose first record is at `first_offset`.
std::int64_t record_position(std::int64_t first_offset, std::size_t i) {
  return first_offset < 0 ? -1 : first_offset + static_cast<std::int64_t>(i);
}

// Stores `offset` for `tp` unless the one there has a newer record.
void keep_newer(std::map<topic_partition, stored_offset>& offsets, const topic_partition& tp, stored_offset offset) {
  const auto [it, inserted] = offsets.try_emplace(tp, offset);
  if (!inserted && it->second.superseded_by(offset)) it->second = std::move(offset);
}

// One record for `tp` is no longer in flight.
void release_pending(group_state& g, const topic_partition& tp) {
  if (auto it = g.pending_commits.find(tp); it != g.pending_commits.end() && --it->second == 0) {
    g.pending_commits.erase(it);
  }
}

}  // namespace

void coordinator::commit(commit_request req, std::function<void(commit_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    const std::int64_t now = _clock.now_ms();
    machine mc(*this, fx, now);
    auto fail = [&](error_code e) { mc.answer(std::move(done), commit_result{.error = e}); };
    group_state* g = find(req.group_id);
    const bool from_member = names_member(req.generation_id, req.member_id, req.group_instance_id);
    // Kafka accepts the empty group id here (OffsetCommit, OffsetFetch, DescribeGroups and
    // DeleteGroups do, for compatibility).
    if (req.group_id.size() > max_record_string_bytes) {
      fail(error_code::invalid_group_id);
    } else if (!g && req.generation_id >= 0) {
      // Either a commit from a generation this coordinator never saw or from before a deletion.
      fail(error_code::illegal_generation);
    } else {
      if (!g) g = &get_or_create(req.group_id);
      error_code e = error_code::none;
      if (g->is(group_phase::dead)) {
        e = error_code::coordinator_not_available;
      } else if (req.generation_id < 0 && g->is(group_phase::empty)) {
        // Kafka: without a generation (admin client, or a consumer outside group management) an
        // Empty group takes the commit, whatever member id it names.
      } else if (from_member) {
        e = validate_member(*g, req.member_id, req.group_instance_id);
        if (e == error_code::none && req.generation_id != g->generation) e = error_code::illegal_generation;
        if (e == error_code::none && g->is(group_phase::completing_rebalance)) e = error_code::rebalance_in_progress;
        if (e == error_code::none) mc.heartbeat(g->members.at(req.member_id));
      } else if (!g->is(group_phase::empty)) {
        // A simple (non-member) commit to a group that is managed by its members.
        e = error_code::unknown_member_id;
      }
      if (e != error_code::none) {
        fail(e);
      } else {
        store_offsets(*g, req.offsets, now, req.retention_time_ms, std::nullopt, std::move(done), fx);
      }
    }
  }
  _runner.run(fx);
}

void coordinator::txn_commit(txn_commit_request req, std::function<void(commit_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    group_state* g = find(req.group_id);
    // Kafka's validateOffsetCommit with isTransactional: members are validated only when the
    // request names one (TxnOffsetCommit v3+, KIP-447); otherwise any group state accepts it.
    const bool from_member = names_member(req.generation_id, req.member_id, req.group_instance_id);
    error_code e = error_code::none;
    if (req.group_id.empty() || req.group_id.size() > max_record_string_bytes) {
      e = error_code::invalid_group_id;  // unlike OffsetCommit, Kafka refuses the empty id here
    } else if (req.producer_id < 0) {
      e = error_code::invalid_request;  // a transactional batch needs a producer id
    } else if (g && g->is(group_phase::dead)) {
      e = error_code::coordinator_not_available;
    } else if (from_member && !g) {
      // Kafka creates the group, then finds no such member in it: the same answer, without an
      // empty group left behind.
      e = error_code::unknown_member_id;
    } else if (from_member) {
      e = validate_member(*g, req.member_id, req.group_instance_id);
      if (e == error_code::none && req.generation_id != g->generation) e = error_code::illegal_generation;
    }
    if (e != error_code::none) {
      answer(fx, std::move(done), commit_result{.error = e});
    } else {
      if (!g) g = &get_or_create(req.group_id);
      store_offsets(*g, req.offsets, _clock.now_ms(), -1, transactional_producer{req.producer_id, req.producer_epoch},
                    std::move(done), fx);
    }
  }
  _runner.run(fx);
}

// Kafka's storeOffsets, for OffsetCommit (no producer) and TxnOffsetCommit: once durable, a plain
// commit's offsets are committed, a transaction's are its producer's pending offsets until its
// marker (complete_transaction).
void coordinator::store_offsets(group_state& g, std::vector<std::pair<topic_partition, committed_offset>>& offsets,
                                std::int64_t now, std::int64_t retention_time_ms,
                                std::optional<transactional_producer> producer, std::function<void(commit_result)> done,
                                effects& fx) {
  auto prepared = prepare_commit(g.id, offsets, now, retention_time_ms, metadata_limit(_config));
  if (prepared.records.empty()) {
    answer(fx, std::move(done), std::move(prepared.result));
    return;
  }
  for (const auto& [tp, offset] : prepared.written) ++g.pending_commits[tp];
  const std::int64_t txn_producer = producer ? producer->producer_id : -1;
  auto then = [this, group_id = g.id, txn_producer, written = std::move(prepared.written),
               result = std::move(prepared.result),
               done = std::move(done)](error_code e, std::int64_t first_offset, effects& after) mutable {
    group_state* g = find(group_id);
    for (std::size_t i = 0; g && i < written.size(); ++i) {
      auto& [tp, offset] = written[i];
      release_pending(*g, tp);
      if (e != error_code::none) continue;
      auto& into = txn_producer >= 0 ? g->txn_offsets[txn_producer] : g->offsets;
      keep_newer(into, tp, {std::move(offset), record_position(first_offset, i)});
    }
    if (g && e == error_code::none && txn_producer >= 0) note_txn_offsets(txn_producer, group_id);
    fail_written(result, e);
    answer(after, std::move(done), std::move(result));
  };
  append(g.id, std::move(prepared.records), fx, std::move(then), producer);
}

std::vector<offsets_record> tombstones(const group_state& g, const std::set<topic_partition>& partitions,
                                       bool group_gone) {
  std::vector<offsets_record> records;
  for (const auto& tp : partitions) {
    records.push_back({encode_key(offset_key{g.id, tp.topic, tp.partition}), std::nullopt});
  }
  if (group_gone && g.generation > 0) records.push_back({encode_key(group_key{g.id}), std::nullopt});
  return records;
}

void coordinator::complete_transaction(std::int64_t producer_id, bool commit, std::int32_t offsets_partition) {
  std::lock_guard lock(_mutex);
  settle_transaction(producer_id, commit, offsets_partition);
}

void coordinator::note_txn_offsets(std::int64_t producer_id, const std::string& group_id) {
  _txn_groups[producer_id].insert(group_id);
}

void coordinator::settle_transaction(std::int64_t producer_id, bool commit, std::int32_t offsets_partition) {
  const auto groups = _txn_groups.find(producer_id);
  if (groups == _txn_groups.end()) return;
  auto& ids = groups->second;
  for (auto it = ids.begin(); it != ids.end();) {
    group_state* g = find(*it);
    if (g && partition_for_group(g->id, _log.partition_count()) != offsets_partition) {
      ++it;  // the same producer's transaction in another partition: its own marker settles it
      continue;
    }
    it = ids.erase(it);
    if (!g) continue;  // deleted meanwhile, its offsets with it
    auto pending = g->txn_offsets.extract(producer_id);
    if (pending.empty() || !commit) continue;
    for (auto& [tp, offset] : pending.mapped()) keep_newer(g->offsets, tp, std::move(offset));
  }
  if (ids.empty()) _txn_groups.erase(groups);
}

offset_fetch_result coordinator::fetch_offsets(const std::string& group_id,
                                               const std::optional<std::vector<topic_partition>>& partitions,
                                               bool require_stable) const {
  std::lock_guard lock(_mutex);
  offset_fetch_result result;
  const group_state* g = find(group_id);
  auto describe = [&](const topic_partition& tp) {
    fetched_offset f{.partition = tp};
    if (!g) return f;
    // KIP-447: a consumer that requires stable offsets waits while a commit is in flight or an
    // open transaction has an offset for the partition.
    if (require_stable && (g->pending_commits.contains(tp) || g->has_txn_offset(tp))) {
      f.error = error_code::unstable_offset_commit;
      return f;
    }
    if (auto it = g->offsets.find(tp); it != g->offsets.end()) {
      f.offset = it->second.value.offset;
      f.leader_epoch = it->second.value.leader_epoch;
      f.metadata = it->second.value.metadata;
    }
    return f;
  };
  if (partitions) {
    for (const auto& tp : *partitions) result.offsets.push_back(describe(tp));
  } else if (g) {
    for (const auto& [tp, offset] : g->offsets) result.offsets.push_back(describe(tp));
  }
  return result;
}

std::size_t coordinator::remove_topic_offsets(const std::string& topic) {
  effects fx;
  std::size_t removed = 0;
  {
    std::lock_guard lock(_mutex);
    for (auto& [id, g] : _groups) {
      // Offsets of open transactions on the topic go too (Kafka's onTopicsDeleted): one
      // tombstone per partition drops both, live and on replay.
      std::set<topic_partition> gone;
      for (auto it = g->offsets.begin(); it != g->offsets.end();) {
        if (it->first.topic != topic) {
          ++it;
          continue;
        }
        gone.insert(it->first);
        it = g->offsets.erase(it);
      }
      for (const auto& [producer, offsets] : g->txn_offsets) {
        for (const auto& [tp, offset] : offsets) {
          if (tp.topic == topic) gone.insert(tp);
        }
      }
      if (gone.empty()) continue;
      for (const auto& tp : gone) g->drop_txn_offsets(tp);
      removed += gone.size();
      append(id, tombstones(*g, gone, false), fx);
    }
  }
  _runner.run(fx);
  return removed;
}

void coordinator::expire_offsets(std::int64_t now, effects& fx) {
  std::vector<std::string> dead;
  for (auto& [id, gp] : _groups) {
    auto& g = *gp;
    std::optional<std::set<std::string>> keep_topics;
    std::function<std::int64_t(const committed_offset&)> base;
    if (g.protocol_type && g.is(group_phase::empty)) {
      // KIP-211: a group's offsets expire once it has been empty for the retention period.
      base = [&g](const committed_offset& o) {
        return g.state_timestamp >= 0 ? g.state_timestamp : o.commit_timestamp;
      };
    } else if (g.protocol_type == "consumer" && g.is(group_phase::stable)) {
      keep_topics = g.subscribed_topics();
      if (keep_topics) base = [](const committed_offset& o) { return o.commit_timestamp; };
    } else if (!g.protocol_type) {
      base = [](const committed_offset& o) { return o.commit_timestamp; };  // simple consumers
    }
    std::set<topic_partition> expired_partitions;
    if (base) {
      for (auto it = g.offsets.begin(); it != g.offsets.end();) {
        const auto& tp = it->first;
        const auto& o = it->second.value;
        // Not while a commit is in flight or an open transaction has an offset for the partition
        // (Kafka: the transaction may still commit one, which must not outlive a tombstone).
        const bool expired =
            (!keep_topics || !keep_topics->contains(tp.topic)) && !g.pending_commits.contains(tp) &&
            !g.has_txn_offset(tp) &&
            (o.expire_timestamp >= 0 ? now >= o.expire_timestamp : now - base(o) >= _config.offsets_retention_ms);
        if (!expired) {
          ++it;
          continue;
        }
        expired_partitions.insert(tp);
        it = g.offsets.erase(it);
      }
    }
    // An Empty group with offsets of open transactions stays (Kafka: "we don't want to remove the
    // group if there are ongoing transactions").
    const bool gone = g.is(group_phase::empty) && !g.has_offsets();
    if (gone) dead.push_back(id);
    auto records = tombstones(g, expired_partitions, gone);
    if (!records.empty()) {
      SPATE_LOG_INFO("event=offsets_expired group={} records={}", id, records.size());
      append(id, std::move(records), fx);
    }
  }
  for (const auto& id : dead) _groups.erase(id);
}

}  // namespace spate::group
