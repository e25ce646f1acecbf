// The in-broker lag source on real storage and a real group coordinator: offsets of Empty groups,
// control records left out of the lag, the end chosen by the members' isolation level, owners and
// their fetch positions, the header budget's approximate fallback and its incremental catch-up.
#include "app/lag_source.h"

#include <gtest/gtest.h>

#include "../support/log_manager_fixture.h"
#include "broker/fetch_positions.h"
#include "group/coordinator.h"
#include "protocol/messages/consumer_protocol_assignment.h"
#include "protocol/wire.h"

namespace spate::app {
namespace {

using storage::test::make_batch;

constexpr std::int64_t pid = 4000;
constexpr std::int64_t ts = 1'700'000'000'000;

// __consumer_offsets that is durable at once: the coordinator under test is real, its log is not.
class instant_offsets_log final : public group::offsets_log {
 public:
  std::int32_t partition_count() const override { return 1; }
  void append(std::int32_t, std::vector<group::offsets_record> records, std::optional<group::transactional_producer>,
              group::append_callback done) override {
    const auto first = _next;
    _next += static_cast<std::int64_t>(records.size());
    done(storage::errc::success, first);
  }

 private:
  std::int64_t _next = 0;
};

base::byte_buffer txn_batch(std::int32_t first_seq, int records, std::int64_t first_ts) {
  model::record_batch_builder b(model::compression_type::none, 0);
  b.set_producer(pid, 0, first_seq);
  b.set_transactional();
  base::byte_buffer value(16, 'x');
  for (int i = 0; i < records; ++i) b.append(first_ts + i, std::nullopt, base::byte_span(value));
  return b.build();
}

base::byte_buffer assignment(const std::string& topic, std::vector<std::int32_t> partitions) {
  protocol::consumer_protocol_assignment a;
  a.assigned_partitions.push_back({topic, std::move(partitions)});
  base::byte_buffer out;
  protocol::writer w(out);
  w.write_int16(1);
  a.encode(w, 1);
  return out;
}

struct lag_source_test : storage::test::log_manager_fixture {
  io::manual_clock group_clock{ts + 1'000'000};
  instant_offsets_log offsets;
  std::unique_ptr<group::coordinator> groups;
  broker::fetch_positions positions{group_clock};

  void SetUp() override {
    log_manager_fixture::SetUp();
    group::coordinator_config c;
    c.initial_rebalance_delay_ms = 0;
    groups = std::make_unique<group::coordinator>(c, offsets, group_clock);
    groups->set_wakeup([] {});
    ASSERT_TRUE(logs->create_topic("t", 1));
  }

  storage::partition_log& log() { return *logs->get("t", 0); }
  void append(base::byte_buffer batch) { ASSERT_TRUE(log().append(batch)); }
  void flush() { ASSERT_TRUE(log().flush()); }

  // 0-1 data | 2-4 transaction | 5 commit marker
  void committed_transaction() {
    append(make_batch(2, ts));
    append(txn_batch(0, 3, ts + 100));
    ASSERT_TRUE(log().append_marker(pid, 0, 0, /*commit=*/true));
    flush();
    ASSERT_EQ(log().high_watermark(), 6);
  }

  void commit(const std::string& group, std::int64_t offset, std::int32_t generation = -1,
              const std::string& member = "") {
    group::commit_request r;
    r.group_id = group;
    r.generation_id = generation;
    r.member_id = member;
    r.offsets.push_back({{"t", 0}, group::committed_offset{.offset = offset, .metadata = ""}});
    bool answered = false;
    groups->commit(r, [&](group::commit_result res) {
      EXPECT_EQ(res.error, protocol::error_code::none);
      answered = true;
    });
    ASSERT_TRUE(answered);
  }

  // A one-member consumer group "g" owning t-0, Stable. Returns the member id and generation.
  std::pair<std::string, std::int32_t> form_group() {
    group::join_request j;
    j.group_id = "g";
    j.protocol_type = "consumer";
    j.protocols = {{"range", {}}};
    j.session_timeout_ms = 30000;
    j.rebalance_timeout_ms = 30000;
    j.client_id = "app";
    j.client_host = "/10.0.0.9";
    std::optional<group::join_result> joined;
    groups->join(j, [&](group::join_result r) { joined = std::move(r); });
    for (int i = 0; i < 10 && !joined; ++i) {
      group_clock.set(std::max(group_clock.now_ms(), groups->next_deadline()));
      groups->expire_due();
    }
    EXPECT_TRUE(joined && joined->error == protocol::error_code::none);
    if (!joined) return {};
    group::sync_request s;
    s.group_id = "g";
    s.generation_id = joined->generation_id;
    s.member_id = joined->member_id;
    s.assignments = {{joined->member_id, assignment("t", {0})}};
    std::optional<group::sync_result> synced;
    groups->sync(s, [&](group::sync_result r) { synced = std::move(r); });
    EXPECT_TRUE(synced && synced->error == protocol::error_code::none);
    return {joined->member_id, joined->generation_id};
  }

  broker_lag_source source(lag_source_options o = {}) { return broker_lag_source(*logs, *groups, positions, o); }
};

const lag::partition_facts& only_partition(const lag::cluster_facts& f, const std::string& group) {
  for (const auto& g : f.groups)
    if (g.group == group && g.partitions.size() == 1) return g.partitions.front();
  throw std::logic_error("no such group with one partition: " + group);
}

TEST_F(lag_source_test, empty_groups_are_sampled_and_transaction_markers_are_not_lag) {
  committed_transaction();
  commit("caught_up", 6);      // past the marker, as consumers commit their position
  commit("before_marker", 5);  // after the last data record, before its marker
  commit("behind", 1);
  auto src = source();
  const auto f = src.sample(ts + 5000);
  EXPECT_EQ(f.cluster, "local");
  EXPECT_EQ(f.taken_at_ms, ts + 5000);
  ASSERT_EQ(f.groups.size(), 3u);
  for (const auto& g : f.groups) {
    EXPECT_EQ(g.state, "Empty");
    EXPECT_TRUE(g.members.empty());
    EXPECT_EQ(g.last_commit_ms, group_clock.now_ms());
  }
  const auto& caught_up = only_partition(f, "caught_up");
  EXPECT_EQ(caught_up.committed_offset, 6);
  EXPECT_EQ(caught_up.commit_time_ms, group_clock.now_ms());
  EXPECT_EQ(caught_up.log_start_offset, 0);
  EXPECT_EQ(caught_up.high_watermark, 6);
  EXPECT_EQ(caught_up.last_stable_offset, 6);
  EXPECT_EQ(caught_up.end_offset, 6);
  EXPECT_FALSE(caught_up.read_committed);
  EXPECT_EQ(caught_up.offset_lag, 0);
  EXPECT_EQ(caught_up.first_unconsumed_timestamp_ms, -1);
  EXPECT_TRUE(caught_up.owner_member_id.empty());
  EXPECT_EQ(caught_up.fetch_position, -1);

  const auto& before_marker = only_partition(f, "before_marker");
  EXPECT_EQ(before_marker.offset_lag, 0);
  EXPECT_EQ(before_marker.first_unconsumed_timestamp_ms, -1);

  const auto& behind = only_partition(f, "behind");
  EXPECT_EQ(behind.offset_lag, 4);                          // offsets 1-4; 5 is the marker
  EXPECT_EQ(behind.first_unconsumed_timestamp_ms, ts + 1);  // mid-batch: the record's own time
}

TEST_F(lag_source_test, an_idle_groups_offsets_follow_the_log_every_tick) {
  append(make_batch(3, ts));
  flush();
  commit("idle", 3);
  auto src = source();
  EXPECT_EQ(only_partition(src.sample(ts), "idle").offset_lag, 0);
  append(make_batch(4, ts + 50));
  flush();
  const auto f = src.sample(ts + 1);
  const auto& p = only_partition(f, "idle");
  EXPECT_EQ(p.high_watermark, 7);
  EXPECT_EQ(p.end_offset, 7);
  EXPECT_EQ(p.offset_lag, 4);
  EXPECT_EQ(p.first_unconsumed_timestamp_ms, ts + 50);
}

TEST_F(lag_source_test, read_committed_owners_get_the_last_stable_offset_and_an_empty_group_remembers_it) {
  append(make_batch(2, ts));
  append(txn_batch(0, 3, ts + 100));  // 2-4, still open: LSO 2
  flush();
  ASSERT_EQ(log().last_stable_offset(), 2);
  const auto [member, generation] = form_group();
  ASSERT_FALSE(member.empty());
  commit("g", 1, generation, member);
  const std::vector<broker::fetch_positions::fetched> fetched{{"t", 0, 2}};
  positions.record("app", "/10.0.0.9", /*read_committed=*/true, fetched);

  auto src = source();
  auto f = src.sample(ts);
  ASSERT_EQ(f.groups.size(), 1u);
  const auto& g = f.groups.front();
  EXPECT_EQ(g.state, "Stable");
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_EQ(g.members[0].member_id, member);
  EXPECT_EQ(g.members[0].client_id, "app");
  EXPECT_EQ(g.members[0].host, "/10.0.0.9");
  EXPECT_GT(g.members[0].last_heartbeat_ms, 0);
  const auto& p = g.partitions.at(0);
  EXPECT_EQ(p.owner_member_id, member);
  EXPECT_EQ(p.owner_client_id, "app");
  EXPECT_EQ(p.owner_host, "/10.0.0.9");
  EXPECT_EQ(p.fetch_position, 2);
  EXPECT_EQ(p.fetch_time_ms, group_clock.now_ms());
  EXPECT_TRUE(p.read_committed);
  EXPECT_EQ(p.high_watermark, 5);
  EXPECT_EQ(p.end_offset, 2);
  EXPECT_EQ(p.offset_lag, 1);

  ASSERT_EQ(groups->leave("g", {{member, std::nullopt}}).error, protocol::error_code::none);
  f = src.sample(ts + 1);
  const auto& empty = only_partition(f, "g");
  EXPECT_EQ(f.groups.front().state, "Empty");
  EXPECT_TRUE(empty.owner_member_id.empty());
  EXPECT_EQ(empty.fetch_position, -1);
  EXPECT_TRUE(empty.read_committed);
  EXPECT_EQ(empty.end_offset, 2);

  // A group never seen fetching: the high watermark.
  commit("plain", 0);
  EXPECT_EQ(only_partition(src.sample(ts + 2), "plain").end_offset, 5);
}

TEST_F(lag_source_test, past_the_header_budget_the_lag_is_approximate_then_catches_up_incrementally) {
  // 10 transactions of 2 records and a marker each: offsets 0-29, markers at 2, 5, ..., 29.
  for (int i = 0; i < 10; ++i) {
    append(txn_batch(2 * i, 2, ts + 10 * i));
    ASSERT_TRUE(log().append_marker(pid, 0, 0, true));
  }
  flush();
  commit("slow", 0);
  lag_source_options o;
  o.header_budget = 6;
  auto src = source(o);
  auto first = src.sample(ts);
  EXPECT_EQ(src.last_headers_read(), 6u);
  EXPECT_EQ(only_partition(first, "slow").offset_lag, 30);  // approximate: markers counted
  src.sample(ts + 1);
  src.sample(ts + 2);
  auto caught_up = src.sample(ts + 3);  // 20 headers in 6 + 6 + 6 + 2
  EXPECT_EQ(src.last_headers_read(), 2u);
  EXPECT_EQ(only_partition(caught_up, "slow").offset_lag, 20);
  EXPECT_EQ(only_partition(caught_up, "slow").first_unconsumed_timestamp_ms, ts);

  // Only what is new is walked: one transaction.
  append(txn_batch(20, 2, ts + 100));
  ASSERT_TRUE(log().append_marker(pid, 0, 0, true));
  flush();
  auto more = src.sample(ts + 4);
  EXPECT_EQ(src.last_headers_read(), 2u);
  EXPECT_EQ(only_partition(more, "slow").offset_lag, 22);

  // The consumer moves on: nothing to walk, and the count follows.
  commit("slow", 15);
  auto moved = src.sample(ts + 5);
  EXPECT_EQ(src.last_headers_read(), 0u);
  EXPECT_EQ(only_partition(moved, "slow").offset_lag, 33 - 15 - 6);  // markers 17, 20, ..., 32
  EXPECT_EQ(only_partition(moved, "slow").first_unconsumed_timestamp_ms, ts + 50);
}

TEST_F(lag_source_test, when_retention_deleted_unread_data_the_lag_counts_from_the_log_start) {
  for (int i = 0; i < 4; ++i) append(make_batch(5, ts + 100 * i));
  flush();
  commit("late", 2);
  ASSERT_TRUE(logs->delete_records("t", 0, 10));
  auto src = source();
  const auto f = src.sample(ts);
  const auto& p = only_partition(f, "late");
  EXPECT_EQ(p.committed_offset, 2);
  EXPECT_EQ(p.log_start_offset, 10);
  EXPECT_EQ(p.offset_lag, 10);
  EXPECT_EQ(p.first_unconsumed_timestamp_ms, ts + 200);
}

}  // namespace
}  // namespace spate::app
