#pragma once
// Shared by the coordinator tests: an in-memory __consumer_offsets whose appends complete at once,
// are held until the test releases them, or fail; a fixture with a manual clock; request
// builders; and a holder for answers that may come later.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "group/coordinator.h"
#include "group/offsets_records.h"
#include "group/offsets_topic.h"
#include "io/clock.h"
#include "protocol/messages/consumer_protocol_subscription.h"
#include "protocol/wire.h"
#include "storage/errc.h"

namespace spate::protocol {
// gtest prints error codes by name.
inline void PrintTo(error_code e, std::ostream* os) { *os << error_name(e); }
}  // namespace spate::protocol

namespace spate::group::test {

using storage::errc;

// An in-memory offsets_log. Every append is recorded; `mode` decides its completion: at once with
// success, held until release_one()/release_all(), or at once with errc::io_error. Records take
// consecutive log offsets per partition in append order (whatever the completion order), as in a
// real log; append_marker() adds a transaction marker as the broker would. Thread-safe; `done`
// never runs under its lock.
class fake_offsets_log final : public offsets_log {
 public:
  enum class mode { durable, hold, fail };
  struct batch {
    std::int32_t partition = 0;
    std::vector<offsets_record> records;
    bool completed = false;
    errc outcome = errc::success;
    std::optional<transactional_producer> producer;  // a transactional batch's
    std::int64_t first_offset = -1;  // log offset of the first record (or of the marker)
    // A transaction marker of `marker_producer` (no records): true = commit, false = abort.
    std::optional<bool> marker_commit;
    std::int64_t marker_producer = -1;
  };

  std::int32_t partition_count() const override { return 4; }

  void append(std::int32_t partition, std::vector<offsets_record> records,
              std::optional<transactional_producer> producer, append_callback done) override {
    errc outcome = errc::success;
    std::int64_t first_offset = -1;
    {
      std::lock_guard lock(_mutex);
      if (!records.empty()) {
        first_offset = _next_offset[partition];
        _next_offset[partition] += static_cast<std::int64_t>(records.size());
      }
      _batches.push_back({partition, std::move(records), _mode != mode::hold, errc::success, producer, first_offset});
      if (_mode == mode::hold) {
        _held.push_back({_batches.size() - 1, std::move(done)});
        return;
      }
      if (_mode == mode::fail) outcome = _batches.back().outcome = errc::io_error;
    }
    done(outcome, outcome == errc::success ? first_offset : -1);
  }

  // A durable transaction marker for `producer_id` in `partition`, after everything appended.
  void append_marker(std::int32_t partition, std::int64_t producer_id, bool commit) {
    std::lock_guard lock(_mutex);
    batch b;
    b.partition = partition;
    b.completed = true;
    b.first_offset = _next_offset[partition]++;
    b.marker_commit = commit;
    b.marker_producer = producer_id;
    _batches.push_back(std::move(b));
  }

  void set_mode(mode m) {
    std::lock_guard lock(_mutex);
    _mode = m;
  }
  std::size_t held() const {
    std::lock_guard lock(_mutex);
    return _held.size();
  }
  // Completes the oldest held append with `outcome`.
  void release_one(errc outcome = errc::success) {
    append_callback done;
    std::int64_t first_offset = -1;
    {
      std::lock_guard lock(_mutex);
      if (_held.empty()) throw std::logic_error("no held append");
      auto h = std::move(_held.front());
      _held.pop_front();
      _batches[h.index].completed = true;
      _batches[h.index].outcome = outcome;
      first_offset = _batches[h.index].first_offset;
      done = std::move(h.done);
    }
    done(outcome, outcome == errc::success ? first_offset : -1);
  }
  void release_all(errc outcome = errc::success) {
    while (held() > 0) release_one(outcome);
  }

  std::vector<batch> batches() const {
    std::lock_guard lock(_mutex);
    return _batches;
  }
  batch last_batch() const {
    std::lock_guard lock(_mutex);
    if (_batches.empty()) throw std::logic_error("nothing appended");
    return _batches.back();
  }
  std::size_t batch_count() const {
    std::lock_guard lock(_mutex);
    return _batches.size();
  }
  // The records of the appends that completed successfully, in append order: what a restarted
  // coordinator would replay.
  std::vector<offsets_record> durable_records() const {
    std::lock_guard lock(_mutex);
    std::vector<offsets_record> out;
    for (const auto& b : _batches) {
      if (!b.completed || b.outcome != errc::success) continue;
      out.insert(out.end(), b.records.begin(), b.records.end());
    }
    return out;
  }
  // What offsets_topic::replay() would visit after a restart: the records of the appends that
  // completed successfully and the markers, in log order per partition (partition 0 first).
  // `visit` gets spans into a copy that lives during the call.
  void replay(const std::function<void(const offsets_topic::replayed&)>& visit) const {
    const auto all = batches();
    for (std::int32_t p = 0; p < partition_count(); ++p) {
      for (const auto& b : all) {
        if (b.partition != p || !b.completed || b.outcome != errc::success) continue;
        offsets_topic::replayed r;
        r.partition = p;
        if (b.marker_commit) {
          r.offset = b.first_offset;
          r.transactional = true;
          r.producer_id = b.marker_producer;
          r.marker_commit = b.marker_commit;
          visit(r);
          continue;
        }
        for (std::size_t i = 0; i < b.records.size(); ++i) {
          r.offset = b.first_offset + static_cast<std::int64_t>(i);
          r.key = base::byte_span(b.records[i].key);
          r.value.reset();
          if (b.records[i].value) r.value = base::byte_span(*b.records[i].value);
          r.transactional = b.producer.has_value();
          r.producer_id = b.producer ? b.producer->producer_id : -1;
          visit(r);
        }
      }
    }
  }

 private:
  struct held_append {
    std::size_t index;
    append_callback done;
  };
  mutable std::mutex _mutex;
  mode _mode = mode::durable;          // guarded by _mutex
  std::vector<batch> _batches;         // guarded by _mutex
  std::deque<held_append> _held;       // guarded by _mutex
  std::map<std::int32_t, std::int64_t> _next_offset;  // guarded by _mutex; per partition
};

// An answer that may arrive later (or never). Fails the test if the callback runs twice.
template <typename T>
class answer {
 public:
  std::function<void(T)> callback() const {
    return [state = _state](T result) {
      EXPECT_FALSE(state->has_value()) << "answered twice";
      *state = std::move(result);
    };
  }
  bool ready() const { return _state->has_value(); }
  const T& get() const {
    if (!ready()) throw std::logic_error("not answered yet");
    return **_state;
  }
  const T* operator->() const { return &get(); }

 private:
  std::shared_ptr<std::optional<T>> _state = std::make_shared<std::optional<T>>();
};

inline base::byte_buffer bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Consumer-protocol subscription metadata, as a Java consumer sends it: int16 version, then the
// ConsumerProtocolSubscription struct at that version.
inline base::byte_buffer subscription(const std::vector<std::string>& topics, std::int16_t version = 1) {
  protocol::consumer_protocol_subscription s;
  s.topics = topics;
  base::byte_buffer out;
  protocol::writer w(out);
  w.write_int16(version);
  s.encode(w, version);
  return out;
}

inline bool is_group_record(const offsets_record& r, std::string_view group) {
  const auto key = decode_key(r.key);
  const auto* gk = key ? std::get_if<group_key>(&*key) : nullptr;
  return gk && gk->group == group;
}
inline bool is_offset_record(const offsets_record& r, std::string_view group, std::string_view topic,
                             std::int32_t partition) {
  const auto key = decode_key(r.key);
  const auto* ok = key ? std::get_if<offset_key>(&*key) : nullptr;
  return ok && ok->group == group && ok->topic == topic && ok->partition == partition;
}

// A group's member ids, sorted.
inline std::vector<std::string> member_ids(const group_description& d) {
  std::vector<std::string> ids;
  for (const auto& m : d.members) ids.push_back(m.member_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}
inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct formed_group {
  std::int32_t generation = -1;
  std::string leader;
  std::vector<std::string> ids;  // in join order
};

struct coordinator_fixture : ::testing::Test {
  static constexpr std::int32_t session_ms = 10000;
  static constexpr std::int32_t rebalance_ms = 20000;

  io::manual_clock clock;
  fake_offsets_log log;
  fake_offsets_log replay_log;  // the log of the coordinator replay_into_new_coordinator() makes
  coordinator_config config = default_config();
  std::unique_ptr<coordinator> coord = std::make_unique<coordinator>(config, log, clock);

  static coordinator_config default_config() {
    coordinator_config c;
    c.initial_rebalance_delay_ms = 3000;
    return c;
  }
  // A fresh coordinator with `c`, on the same log and clock.
  void restart_with(const coordinator_config& c) {
    config = c;
    coord = std::make_unique<coordinator>(config, log, clock);
  }

  // Replaces the coordinator by a new one (on replay_log) that replays every record the old one
  // made durable and every marker, as a broker restart does.
  void replay_into_new_coordinator() {
    coord = std::make_unique<coordinator>(config, replay_log, clock);
    log.replay([this](const offsets_topic::replayed& r) { coord->load(r); });
  }

  std::int64_t now() const { return clock.now_ms(); }
  // Moves time and fires whatever is due.
  void advance(std::int64_t ms) {
    clock.advance(ms);
    coord->expire_due();
  }
  // Moves time to `t`, firing every deadline on the way at its own time, as the timer thread does.
  void advance_to(std::int64_t t) {
    for (int i = 0; i < 1000 && coord->next_deadline() <= t; ++i) {
      clock.set(std::max(now(), coord->next_deadline()));
      coord->expire_due();
    }
    clock.set(t);
    coord->expire_due();
  }
  // Fires deadlines one after another (session expiry aside, nobody heartbeats meanwhile) until
  // the group leaves PreparingRebalance.
  void run_until_join_completes(const std::string& group = "g") {
    for (int i = 0; i < 100 && state(group) == "PreparingRebalance"; ++i) {
      clock.set(std::max(now(), coord->next_deadline()));
      coord->expire_due();
    }
    ASSERT_NE(state(group), "PreparingRebalance");
  }
  std::string state(const std::string& group = "g") const { return coord->describe(group).state; }

  static join_request join_req(std::string member_id = "", std::optional<std::string> instance = std::nullopt,
                               std::string group = "g") {
    join_request r;
    r.group_id = std::move(group);
    r.member_id = std::move(member_id);
    r.group_instance_id = std::move(instance);
    r.protocol_type = "consumer";
    r.protocols = {{"range", subscription({"t"})}};
    r.session_timeout_ms = session_ms;
    r.rebalance_timeout_ms = rebalance_ms;
    r.client_id = "client";
    r.client_host = "/10.0.0.1";
    return r;
  }
  answer<join_result> join(join_request r) {
    answer<join_result> a;
    coord->join(std::move(r), a.callback());
    return a;
  }
  answer<sync_result> sync(const std::string& member, std::int32_t generation,
                           std::vector<std::pair<std::string, base::byte_buffer>> assignments = {},
                           std::optional<std::string> instance = std::nullopt, std::string group = "g") {
    sync_request r;
    r.group_id = std::move(group);
    r.generation_id = generation;
    r.member_id = member;
    r.group_instance_id = std::move(instance);
    r.assignments = std::move(assignments);
    answer<sync_result> a;
    coord->sync(std::move(r), a.callback());
    return a;
  }
  error_code heartbeat(const std::string& member, std::int32_t generation,
                       std::optional<std::string> instance = std::nullopt, std::string group = "g") {
    return coord->heartbeat({std::move(group), generation, member, std::move(instance)});
  }
  static commit_request commit_req(std::string group, std::int32_t generation, std::string member,
                                   std::vector<std::pair<topic_partition, std::int64_t>> offsets) {
    commit_request r;
    r.group_id = std::move(group);
    r.generation_id = generation;
    r.member_id = std::move(member);
    for (auto& [tp, offset] : offsets) r.offsets.push_back({tp, committed_offset{.offset = offset, .metadata = ""}});
    return r;
  }
  answer<commit_result> commit(commit_request r) {
    answer<commit_result> a;
    coord->commit(std::move(r), a.callback());
    return a;
  }
  // The committed offset of one partition (-1: none), or its error.
  fetched_offset fetch(const std::string& group, topic_partition tp, bool require_stable = false) const {
    const auto r = coord->fetch_offsets(group, std::vector<topic_partition>{std::move(tp)}, require_stable);
    EXPECT_EQ(r.error, error_code::none);
    if (r.offsets.size() != 1) throw std::logic_error("expected one offset");
    return r.offsets.front();
  }
  answer<std::vector<error_code>> delete_groups(std::vector<std::string> ids) {
    answer<std::vector<error_code>> a;
    coord->delete_groups(std::move(ids), a.callback());
    return a;
  }
  answer<offset_delete_result> delete_offsets(const std::string& group, std::vector<topic_partition> partitions) {
    answer<offset_delete_result> a;
    coord->delete_offsets(group, std::move(partitions), a.callback());
    return a;
  }

  // Joins every request at the current time, lets the (initial) rebalance complete, then syncs
  // every member, the leader last, assigning "assignment-<member id>" to each. The group ends
  // Stable at the current time.
  formed_group form_group(std::vector<join_request> requests) {
    formed_group out;
    std::vector<answer<join_result>> joins;
    const std::string group = requests.empty() ? "g" : requests.front().group_id;
    for (const auto& r : requests) joins.push_back(join(r));
    run_until_join_completes(group);
    for (const auto& j : joins) {
      EXPECT_TRUE(j.ready());
      if (!j.ready()) return out;
      EXPECT_EQ(j->error, error_code::none);
      out.ids.push_back(j->member_id);
    }
    out.generation = joins.front()->generation_id;
    out.leader = joins.front()->leader;
    std::vector<answer<sync_result>> syncs;
    for (std::size_t i = 0; i < out.ids.size(); ++i) {
      if (out.ids[i] == out.leader) continue;
      syncs.push_back(sync(out.ids[i], out.generation, {}, requests[i].group_instance_id, group));
    }
    std::vector<std::pair<std::string, base::byte_buffer>> assignments;
    for (const auto& id : out.ids) assignments.emplace_back(id, bytes("assignment-" + id));
    for (std::size_t i = 0; i < out.ids.size(); ++i) {
      if (out.ids[i] == out.leader) syncs.push_back(sync(out.leader, out.generation, assignments, requests[i].group_instance_id, group));
    }
    for (const auto& s : syncs) {
      EXPECT_TRUE(s.ready());
      if (s.ready()) {
        EXPECT_EQ(s->error, error_code::none);
      }
    }
    EXPECT_EQ(state(group), "Stable");
    return out;
  }
};

}  // namespace spate::group::test
