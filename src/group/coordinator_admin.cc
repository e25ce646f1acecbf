// The group coordinator's admin requests: ListGroups, DescribeGroups, DeleteGroups, OffsetDelete.
#include <algorithm>
#include <memory>
#include <set>

#include "group/coordinator.h"
#include "group/coordinator_internal.h"
#include "group/membership.h"
#include "group/offsets_records.h"

namespace spate::group {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::vector<group_listing> coordinator::list(const std::vector<std::string>& states) const {
  std::lock_guard lock(_mutex);
  std::vector<group_listing> out;
  for (const auto& [id, g] : _groups) {
    if (g->is(group_phase::dead)) continue;
    const auto state = phase_name(g->phase);
    if (!states.empty() &&
        std::none_of(states.begin(), states.end(), [&](const std::string& s) { return iequals(s, state); })) {
      continue;
    }
    out.push_back({id, g->protocol_type.value_or(""), std::string(state)});
  }
  return out;
}

group_description coordinator::describe(const std::string& group_id) const {
  std::lock_guard lock(_mutex);
  group_description d;
  d.group_id = group_id;
  const group_state* g = find(group_id);
  if (!g) {
    d.state = "Dead";
    return d;
  }
  d.state = phase_name(g->phase);
  d.protocol_type = g->protocol_type.value_or("");
  const bool stable = g->is(group_phase::stable);
  if (stable) d.protocol_data = g->protocol_name.value_or("");
  for (const auto& [id, m] : g->members) {
    member_description md{id, m.instance_id, m.client_id, m.client_host, {}, {}};
    if (stable) {
      if (const auto* metadata = m.metadata_for(d.protocol_data)) md.metadata = *metadata;
      md.assignment = m.assignment;
    }
    d.members.push_back(std::move(md));
  }
  return d;
}

void coordinator::delete_groups(std::vector<std::string> group_ids, std::function<void(std::vector<error_code>)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    struct outcome {
      std::vector<error_code> errors;
      std::size_t waiting = 0;
      std::function<void(std::vector<error_code>)> done;
    };
    auto shared = std::make_shared<outcome>();
    shared->errors.resize(group_ids.size(), error_code::none);
    shared->done = std::move(done);
    for (std::size_t i = 0; i < group_ids.size(); ++i) {
      const auto& id = group_ids[i];
      group_state* g = find(id);
      if (!g || g->is(group_phase::dead)) {
        shared->errors[i] = error_code::group_id_not_found;
      } else if (!g->is(group_phase::empty)) {
        shared->errors[i] = error_code::non_empty_group;
      } else {
        // As Kafka's deleteAllOffsets: offsets of open transactions go too. A tombstone for each
        // partition they name drops them on replay whatever the marker says later; live, the
        // group and its pending offsets are gone with it.
        std::set<topic_partition> partitions;
        for (const auto& [tp, offset] : g->offsets) partitions.insert(tp);
        for (const auto& [producer, offsets] : g->txn_offsets) {
          for (const auto& [tp, offset] : offsets) partitions.insert(tp);
        }
        auto records = tombstones(*g, partitions, true);
        g->phase = group_phase::dead;
        _groups.erase(id);
        ++shared->waiting;
        append(id, std::move(records), fx, [shared, i](error_code e, std::int64_t, effects& after) {
          shared->errors[i] = e;
          if (--shared->waiting == 0) after.answers.push_back([shared] { shared->done(shared->errors); });
        });
      }
    }
    if (shared->waiting == 0) fx.answers.push_back([shared] { shared->done(shared->errors); });
  }
  _runner.run(fx);
}

void coordinator::delete_offsets(const std::string& group_id, std::vector<topic_partition> partitions,
                                 std::function<void(offset_delete_result)> done) {
  effects fx;
  {
    std::lock_guard lock(_mutex);
    machine mc(*this, fx, _clock.now_ms());
    group_state* g = find(group_id);
    offset_delete_result result;
    if (group_id.empty()) {
      result.error = error_code::invalid_group_id;
    } else if (!g || g->is(group_phase::dead)) {
      result.error = error_code::group_id_not_found;
    } else {
      // Kafka: an Empty group's offsets may all go; a consumer group with members keeps those of
      // the topics its members subscribe to (all of them when a subscription cannot be read);
      // other groups with members refuse.
      const bool check_subscriptions = !g->is(group_phase::empty);
      std::optional<std::set<std::string>> subscribed;
      if (check_subscriptions) {
        if (g->protocol_type != "consumer") result.error = error_code::non_empty_group;
        subscribed = g->subscribed_topics();
      }
      if (result.error == error_code::none) {
        std::set<topic_partition> deleted;
        bool any_eligible = false;
        for (const auto& tp : partitions) {
          if (check_subscriptions && (!subscribed || subscribed->contains(tp.topic))) {
            result.partition_errors.push_back(error_code::group_subscribed_to_topic);
            continue;
          }
          any_eligible = true;
          result.partition_errors.push_back(error_code::none);
          // As Kafka: a tombstone when the partition has a committed offset or one of an open
          // transaction (which the tombstone drops, live and on replay).
          const bool had_committed = g->offsets.erase(tp) > 0;
          if (g->drop_txn_offsets(tp) || had_committed) deleted.insert(tp);
        }
        // As Kafka's cleanupGroupMetadata: an Empty group left without offsets is gone.
        const bool gone = any_eligible && g->is(group_phase::empty) && !g->has_offsets();
        auto records = tombstones(*g, deleted, gone);
        if (gone) _groups.erase(group_id);  // g dangles from here
        if (!records.empty()) {
          append(group_id, std::move(records), fx,
                 [result, done = std::move(done)](error_code e, std::int64_t, effects& after) mutable {
                   if (e != error_code::none) result = offset_delete_result{.error = e};
                   answer(after, std::move(done), std::move(result));
                 });
          done = nullptr;
        }
      }
    }
    if (done) mc.answer(std::move(done), std::move(result));
  }
  _runner.run(fx);
}

}  // namespace spate::group
