// The coordinator's committed offsets and admin APIs (OffsetCommit, OffsetFetch, ListGroups,
// DescribeGroups, DeleteGroups, OffsetDelete), offset expiry, replay from __consumer_offsets and
// its deadlines, driven by a manual clock and an in-memory __consumer_offsets. The expectations
// are those of Kafka's GroupCoordinator.scala and GroupMetadataManager.scala.
#include "group/coordinator.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "coordinator_test_support.h"

namespace spate::group::test {
namespace {

using coordinator_commit = coordinator_fixture;
using coordinator_fetch = coordinator_fixture;
using coordinator_admin = coordinator_fixture;
using coordinator_expiry = coordinator_fixture;
using coordinator_replay = coordinator_fixture;
using coordinator_deadline = coordinator_fixture;

const topic_partition t0{"t", 0};
const topic_partition t1{"t", 1};
const topic_partition u0{"u", 0};

std::vector<error_code> errors(std::initializer_list<error_code> e) { return e; }

coordinator_config expiry_config() {
  auto c = coordinator_fixture::default_config();
  c.offsets_retention_ms = 100000;
  c.offsets_retention_check_interval_ms = 10000;
  return c;
}

// ---- OffsetCommit ----

TEST_F(coordinator_commit, a_simple_commit_creates_the_group_and_is_fetchable) {
  auto r = commit_req("s", -1, "", {{t0, 42}});
  r.offsets[0].second.metadata = "meta";
  r.offsets[0].second.leader_epoch = 7;
  const auto c = commit(r);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::none);
  EXPECT_EQ(c->partition_errors, errors({error_code::none}));
  const auto f = fetch("s", t0);
  EXPECT_EQ(f.offset, 42);
  EXPECT_EQ(f.leader_epoch, 7);
  EXPECT_EQ(f.metadata, "meta");
  EXPECT_EQ(f.error, error_code::none);
  EXPECT_EQ(state("s"), "Empty");

  const auto b = log.last_batch();
  ASSERT_EQ(b.records.size(), 1U);
  EXPECT_EQ(b.partition, partition_for_group("s", log.partition_count()));
  ASSERT_TRUE(is_offset_record(b.records[0], "s", "t", 0));
  const auto v = decode_offset_value(*b.records[0].value);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->offset, 42);
  EXPECT_EQ(v->leader_epoch, 7);
  EXPECT_EQ(v->metadata, "meta");
  EXPECT_EQ(v->commit_timestamp, now());
  EXPECT_EQ(v->expire_timestamp, -1);
}

TEST_F(coordinator_commit, an_empty_group_id_is_accepted_as_kafka_does) {
  EXPECT_EQ(commit(commit_req("", -1, "", {{t0, 1}}))->partition_errors, errors({error_code::none}));
  EXPECT_EQ(fetch("", t0).offset, 1);
}

TEST_F(coordinator_commit, a_generation_for_a_missing_group_is_illegal) {
  const auto c = commit(commit_req("missing", 1, "client-1", {{t0, 1}}));
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::illegal_generation);
  EXPECT_EQ(coord->group_count(), 0U);
}

TEST_F(coordinator_commit, member_commits_are_checked_against_membership_and_generation) {
  const auto g = form_group({join_req(), join_req("", "instance-b")});
  const std::string& a = g.ids[0];
  EXPECT_EQ(commit(commit_req("g", 1, a, {{t0, 1}}))->partition_errors, errors({error_code::none}));
  EXPECT_EQ(commit(commit_req("g", 2, a, {{t0, 2}}))->error, error_code::illegal_generation);
  EXPECT_EQ(commit(commit_req("g", 1, "client-nobody", {{t0, 2}}))->error, error_code::unknown_member_id);
  // Without a generation, only an Empty group takes commits.
  EXPECT_EQ(commit(commit_req("g", -1, "", {{t0, 2}}))->error, error_code::unknown_member_id);
  auto impostor = commit_req("g", 1, "client-impostor", {{t0, 2}});
  impostor.group_instance_id = "instance-b";
  EXPECT_EQ(commit(impostor)->error, error_code::fenced_instance_id);
  EXPECT_EQ(fetch("g", t0).offset, 1);

  // PreparingRebalance still takes the members' commits.
  const auto c = join(join_req());
  EXPECT_EQ(commit(commit_req("g", 1, a, {{t0, 3}}))->partition_errors, errors({error_code::none}));
  const auto ra = join(join_req(a));
  const auto rb = join(join_req(g.ids[1], "instance-b"));
  ASSERT_EQ(state(), "CompletingRebalance");
  EXPECT_EQ(commit(commit_req("g", 2, a, {{t0, 4}}))->error, error_code::rebalance_in_progress);
  EXPECT_EQ(fetch("g", t0).offset, 3);
}

TEST_F(coordinator_commit, an_empty_group_takes_a_commit_without_generation_whatever_member_it_names) {
  const auto g = form_group({join_req()});
  coord->leave("g", {{g.ids[0], std::nullopt}});
  ASSERT_EQ(state(), "Empty");
  EXPECT_EQ(commit(commit_req("g", -1, g.ids[0], {{t0, 9}}))->partition_errors, errors({error_code::none}));
  EXPECT_EQ(commit(commit_req("g", 2, g.ids[0], {{t0, 9}}))->error, error_code::unknown_member_id);
}

TEST_F(coordinator_commit, metadata_over_the_limit_fails_only_its_partition) {
  auto r = commit_req("s", -1, "", {{t0, 1}, {t1, 2}});
  r.offsets[0].second.metadata = std::string(config.max_metadata_bytes + 1, 'x');
  r.offsets[1].second.metadata = std::string(config.max_metadata_bytes, 'y');
  EXPECT_EQ(commit(r)->partition_errors, errors({error_code::offset_metadata_too_large, error_code::none}));
  EXPECT_EQ(fetch("s", t0).offset, -1);
  EXPECT_EQ(fetch("s", t1).offset, 2);

  const auto before = log.batch_count();
  auto all_bad = commit_req("s", -1, "", {{t0, 1}});
  all_bad.offsets[0].second.metadata = std::string(config.max_metadata_bytes + 1, 'x');
  EXPECT_EQ(commit(all_bad)->partition_errors, errors({error_code::offset_metadata_too_large}));
  EXPECT_EQ(log.batch_count(), before);
}

TEST_F(coordinator_commit, a_commit_is_visible_only_once_durable) {
  EXPECT_EQ(commit(commit_req("s", -1, "", {{t0, 1}}))->partition_errors, errors({error_code::none}));
  log.set_mode(fake_offsets_log::mode::hold);
  const auto c = commit(commit_req("s", -1, "", {{t0, 2}, {t1, 3}}));
  EXPECT_FALSE(c.ready());
  EXPECT_EQ(fetch("s", t0).offset, 1);
  EXPECT_EQ(fetch("s", t1).offset, -1);
  EXPECT_EQ(fetch("s", t0, true).error, error_code::unstable_offset_commit);
  EXPECT_EQ(fetch("s", t1, true).error, error_code::unstable_offset_commit);
  log.release_one();
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->partition_errors, errors({error_code::none, error_code::none}));
  EXPECT_EQ(fetch("s", t0).offset, 2);
  const auto stable = fetch("s", t1, true);
  EXPECT_EQ(stable.error, error_code::none);
  EXPECT_EQ(stable.offset, 3);
}

TEST_F(coordinator_commit, a_failed_append_is_not_coordinator_and_changes_nothing) {
  EXPECT_EQ(commit(commit_req("s", -1, "", {{t0, 10}}))->partition_errors, errors({error_code::none}));
  log.set_mode(fake_offsets_log::mode::fail);
  const auto c = commit(commit_req("s", -1, "", {{t0, 20}}));
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->partition_errors, errors({error_code::not_coordinator}));
  const auto f = fetch("s", t0, true);
  EXPECT_EQ(f.error, error_code::none);
  EXPECT_EQ(f.offset, 10);
}

TEST_F(coordinator_commit, a_retention_time_sets_the_expire_timestamp_from_now) {
  auto r = commit_req("s", -1, "", {{t0, 1}});
  r.retention_time_ms = 5000;
  r.offsets[0].second.commit_timestamp = now() - 1000000;  // v1: an explicit commit timestamp
  EXPECT_EQ(commit(r)->partition_errors, errors({error_code::none}));
  const auto v = decode_offset_value(*log.last_batch().records.at(0).value);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->commit_timestamp, now() - 1000000);
  EXPECT_EQ(v->expire_timestamp, now() + 5000);
}

TEST_F(coordinator_commit, a_deleted_topics_offsets_are_removed_from_every_group_with_tombstones) {
  const topic_partition other{"u", 0};
  ASSERT_EQ(commit(commit_req("a", -1, "", {{t0, 1}, {t1, 2}, {other, 3}}))->error, error_code::none);
  ASSERT_EQ(commit(commit_req("b", -1, "", {{t0, 4}}))->error, error_code::none);
  const auto before = log.batches().size();

  EXPECT_EQ(coord->remove_topic_offsets("t"), 3U);

  EXPECT_EQ(fetch("a", t0).offset, -1);
  EXPECT_EQ(fetch("a", t1).offset, -1);
  EXPECT_EQ(fetch("b", t0).offset, -1);
  EXPECT_EQ(fetch("a", other).offset, 3);
  const auto batches = log.batches();
  ASSERT_EQ(batches.size(), before + 2);  // one batch per group
  std::size_t tombstones = 0;
  for (std::size_t i = before; i < batches.size(); ++i) {
    for (const auto& r : batches[i].records) {
      EXPECT_FALSE(r.value);
      ++tombstones;
    }
  }
  EXPECT_EQ(tombstones, 3U);
  EXPECT_EQ(coord->remove_topic_offsets("t"), 0U);
}

// ---- OffsetFetch ----

TEST_F(coordinator_fetch, a_missing_group_has_no_offsets) {
  const auto r = coord->fetch_offsets("missing", std::vector<topic_partition>{t0, u0}, false);
  EXPECT_EQ(r.error, error_code::none);
  ASSERT_EQ(r.offsets.size(), 2U);
  for (const auto& f : r.offsets) {
    EXPECT_EQ(f.offset, -1);
    EXPECT_EQ(f.leader_epoch, -1);
    EXPECT_EQ(f.error, error_code::none);
  }
  EXPECT_EQ(r.offsets[1].partition, u0);
  EXPECT_TRUE(coord->fetch_offsets("missing", std::nullopt, false).offsets.empty());
  EXPECT_EQ(coord->group_count(), 0U);
}

TEST_F(coordinator_fetch, no_partitions_means_every_committed_offset) {
  EXPECT_EQ(commit(commit_req("s", -1, "", {{u0, 3}, {t1, 2}, {t0, 1}}))->error, error_code::none);
  const auto r = coord->fetch_offsets("s", std::nullopt, false);
  ASSERT_EQ(r.offsets.size(), 3U);
  EXPECT_EQ(r.offsets[0].partition, t0);
  EXPECT_EQ(r.offsets[0].offset, 1);
  EXPECT_EQ(r.offsets[1].partition, t1);
  EXPECT_EQ(r.offsets[1].offset, 2);
  EXPECT_EQ(r.offsets[2].partition, u0);
  EXPECT_EQ(r.offsets[2].offset, 3);
}

// ---- ListGroups / DescribeGroups ----

TEST_F(coordinator_admin, list_groups_filters_by_state_without_regard_to_case) {
  form_group({join_req("", std::nullopt, "stable")});
  EXPECT_EQ(commit(commit_req("empty", -1, "", {{t0, 1}}))->error, error_code::none);
  const auto held = join(join_req("", std::nullopt, "preparing"));

  auto all = coord->list({});
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].group_id, "empty");
  EXPECT_EQ(all[0].state, "Empty");
  EXPECT_EQ(all[0].protocol_type, "");
  EXPECT_EQ(all[1].group_id, "preparing");
  EXPECT_EQ(all[1].state, "PreparingRebalance");
  EXPECT_EQ(all[2].group_id, "stable");
  EXPECT_EQ(all[2].state, "Stable");
  EXPECT_EQ(all[2].protocol_type, "consumer");

  const auto stable = coord->list({"stable"});
  ASSERT_EQ(stable.size(), 1U);
  EXPECT_EQ(stable[0].group_id, "stable");
  auto two = coord->list({"EMPTY", "preparingRebalance"});
  std::sort(two.begin(), two.end(), [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  ASSERT_EQ(two.size(), 2U);
  EXPECT_EQ(two[0].group_id, "empty");
  EXPECT_EQ(two[1].group_id, "preparing");
  EXPECT_TRUE(coord->list({"Dead"}).empty());
}

TEST_F(coordinator_admin, describe_shows_metadata_and_assignments_only_when_stable) {
  const auto g = form_group({join_req(), join_req("", "instance-b")});
  auto d = coord->describe("g");
  EXPECT_EQ(d.error, error_code::none);
  EXPECT_EQ(d.group_id, "g");
  EXPECT_EQ(d.state, "Stable");
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol_data, "range");
  ASSERT_EQ(d.members.size(), 2U);
  for (const auto& m : d.members) {
    EXPECT_EQ(m.client_id, "client");
    EXPECT_EQ(m.client_host, "/10.0.0.1");
    EXPECT_EQ(m.metadata, subscription({"t"}));
    EXPECT_EQ(m.assignment, bytes("assignment-" + m.member_id));
    EXPECT_EQ(m.group_instance_id, m.member_id == g.ids[1] ? std::optional<std::string>("instance-b") : std::nullopt);
  }

  const auto c = join(join_req());
  d = coord->describe("g");
  EXPECT_EQ(d.state, "PreparingRebalance");
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol_data, "");
  ASSERT_EQ(d.members.size(), 3U);
  for (const auto& m : d.members) {
    EXPECT_TRUE(m.metadata.empty());
    EXPECT_TRUE(m.assignment.empty());
  }
}

TEST_F(coordinator_admin, describe_of_a_missing_group_is_dead) {
  const auto d = coord->describe("missing");
  EXPECT_EQ(d.error, error_code::none);
  EXPECT_EQ(d.state, "Dead");
  EXPECT_EQ(d.protocol_type, "");
  EXPECT_TRUE(d.members.empty());
  EXPECT_EQ(coord->describe("").state, "Dead");  // Kafka accepts the empty group id here
}

// ---- DeleteGroups ----

TEST_F(coordinator_admin, delete_groups_removes_only_empty_groups_and_writes_tombstones) {
  form_group({join_req("", std::nullopt, "busy")});
  const auto e = form_group({join_req("", std::nullopt, "e")});
  EXPECT_EQ(commit(commit_req("e", 1, e.ids[0], {{t0, 1}, {t1, 2}}))->error, error_code::none);
  coord->leave("e", {{e.ids[0], std::nullopt}});
  ASSERT_EQ(state("e"), "Empty");
  EXPECT_EQ(commit(commit_req("simple", -1, "", {{u0, 3}}))->error, error_code::none);
  const auto before = log.batch_count();

  log.set_mode(fake_offsets_log::mode::hold);
  const auto d = delete_groups({"busy", "missing", "", "e", "simple"});
  EXPECT_FALSE(d.ready());  // answered once the tombstones are durable
  // Gone at once, as in Kafka.
  EXPECT_EQ(state("e"), "Dead");
  EXPECT_EQ(fetch("e", t0).offset, -1);
  log.release_all();
  ASSERT_TRUE(d.ready());
  // The empty group id names a group like any other (Kafka's isValidGroupId for DeleteGroups).
  EXPECT_EQ(d.get(), errors({error_code::non_empty_group, error_code::group_id_not_found,
                             error_code::group_id_not_found, error_code::none, error_code::none}));

  const auto batches = log.batches();
  ASSERT_EQ(batches.size(), before + 2);
  const auto& e_batch = batches[before];
  EXPECT_EQ(e_batch.partition, partition_for_group("e", log.partition_count()));
  ASSERT_EQ(e_batch.records.size(), 3U);
  EXPECT_TRUE(is_offset_record(e_batch.records[0], "e", "t", 0));
  EXPECT_TRUE(is_offset_record(e_batch.records[1], "e", "t", 1));
  EXPECT_TRUE(is_group_record(e_batch.records[2], "e"));
  for (const auto& r : e_batch.records) EXPECT_FALSE(r.value);
  // A group that never had a generation has no group record to delete.
  const auto& simple_batch = batches[before + 1];
  ASSERT_EQ(simple_batch.records.size(), 1U);
  EXPECT_TRUE(is_offset_record(simple_batch.records[0], "simple", "u", 0));
  EXPECT_FALSE(simple_batch.records[0].value);

  EXPECT_EQ(coord->group_count(), 1U);
  EXPECT_EQ(coord->list({}).size(), 1U);
  EXPECT_EQ(state("busy"), "Stable");
}

// ---- OffsetDelete ----

TEST_F(coordinator_admin, offset_delete_of_a_missing_or_unnamed_group_fails) {
  EXPECT_EQ(delete_offsets("missing", {t0})->error, error_code::group_id_not_found);
  EXPECT_EQ(delete_offsets("", {t0})->error, error_code::invalid_group_id);
}

TEST_F(coordinator_admin, offset_delete_keeps_the_topics_a_stable_consumer_group_subscribes_to) {
  const auto g = form_group({join_req(), join_req()});  // both subscribe to "t"
  EXPECT_EQ(commit(commit_req("g", 1, g.ids[0], {{t0, 1}, {u0, 2}}))->error, error_code::none);
  const auto before = log.batch_count();
  const auto r = delete_offsets("g", {t0, u0});
  ASSERT_TRUE(r.ready());
  EXPECT_EQ(r->error, error_code::none);
  EXPECT_EQ(r->partition_errors, errors({error_code::group_subscribed_to_topic, error_code::none}));
  ASSERT_EQ(log.batch_count(), before + 1);
  const auto b = log.last_batch();
  ASSERT_EQ(b.records.size(), 1U);
  EXPECT_TRUE(is_offset_record(b.records[0], "g", "u", 0));
  EXPECT_FALSE(b.records[0].value);
  EXPECT_EQ(fetch("g", u0).offset, -1);
  EXPECT_EQ(fetch("g", t0).offset, 1);
}

TEST_F(coordinator_admin, offset_delete_treats_every_topic_as_subscribed_when_a_subscription_is_unreadable) {
  auto r = join_req();
  r.protocols = {{"range", bytes("not a subscription")}};
  const auto g = form_group({r});
  EXPECT_EQ(commit(commit_req("g", 1, g.ids[0], {{u0, 2}}))->error, error_code::none);
  EXPECT_EQ(delete_offsets("g", {u0})->partition_errors, errors({error_code::group_subscribed_to_topic}));
  EXPECT_EQ(fetch("g", u0).offset, 2);
}

TEST_F(coordinator_admin, offset_delete_allows_every_topic_when_members_subscribe_to_none) {
  auto r = join_req();
  r.protocols = {{"range", subscription({})}};
  const auto g = form_group({r});
  EXPECT_EQ(commit(commit_req("g", 1, g.ids[0], {{u0, 2}}))->error, error_code::none);
  EXPECT_EQ(delete_offsets("g", {u0})->partition_errors, errors({error_code::none}));
  EXPECT_EQ(fetch("g", u0).offset, -1);
  EXPECT_EQ(state(), "Stable");
}

TEST_F(coordinator_admin, offset_delete_refuses_a_non_consumer_group_with_members) {
  auto r = join_req();
  r.protocol_type = "connect";
  const auto g = form_group({r});
  EXPECT_EQ(commit(commit_req("g", 1, g.ids[0], {{u0, 2}}))->error, error_code::none);
  const auto d = delete_offsets("g", {u0});
  EXPECT_EQ(d->error, error_code::non_empty_group);
  EXPECT_TRUE(d->partition_errors.empty());
}

TEST_F(coordinator_admin, offset_delete_of_an_empty_groups_last_offsets_removes_the_group) {
  EXPECT_EQ(commit(commit_req("s", -1, "", {{t0, 1}, {t1, 2}}))->error, error_code::none);
  EXPECT_EQ(delete_offsets("s", {t0})->partition_errors, errors({error_code::none}));
  EXPECT_EQ(state("s"), "Empty");
  EXPECT_EQ(delete_offsets("s", {t1, u0})->partition_errors, errors({error_code::none, error_code::none}));
  EXPECT_EQ(state("s"), "Dead");
  EXPECT_EQ(coord->group_count(), 0U);
  const auto b = log.last_batch();
  ASSERT_EQ(b.records.size(), 1U);  // no group record: the group never had a generation
  EXPECT_TRUE(is_offset_record(b.records[0], "s", "t", 1));

  // A group that had a generation gets its group record deleted too.
  const auto g = form_group({join_req("", std::nullopt, "e")});
  EXPECT_EQ(commit(commit_req("e", 1, g.ids[0], {{t0, 1}}))->error, error_code::none);
  coord->leave("e", {{g.ids[0], std::nullopt}});
  EXPECT_EQ(delete_offsets("e", {t0})->partition_errors, errors({error_code::none}));
  EXPECT_EQ(state("e"), "Dead");
  const auto e = log.last_batch();
  ASSERT_EQ(e.records.size(), 2U);
  EXPECT_TRUE(is_offset_record(e.records[0], "e", "t", 0));
  EXPECT_TRUE(is_group_record(e.records[1], "e"));
}

// ---- Offset expiry ----

TEST_F(coordinator_expiry, an_empty_consumer_groups_offsets_expire_a_retention_after_it_emptied) {
  restart_with(expiry_config());
  const auto g = form_group({join_req()});
  EXPECT_EQ(commit(commit_req("g", 1, g.ids[0], {{t0, 1}, {u0, 2}}))->error, error_code::none);
  // Stable for twice the retention: the subscribed topic's offset stays, the other expires by
  // its commit timestamp.
  const std::int64_t committed = now();
  while (now() < committed + 2 * config.offsets_retention_ms) {
    advance(session_ms / 2);
    ASSERT_EQ(heartbeat(g.ids[0], 1), error_code::none);
  }
  EXPECT_EQ(fetch("g", t0).offset, 1);
  EXPECT_EQ(fetch("g", u0).offset, -1);

  coord->leave("g", {{g.ids[0], std::nullopt}});
  const std::int64_t emptied = now();
  const auto before = log.batch_count();
  advance_to(emptied + config.offsets_retention_ms - 1);
  EXPECT_EQ(fetch("g", t0).offset, 1);
  EXPECT_EQ(log.batch_count(), before);
  // Expired at the first check once the retention has passed.
  const std::int64_t check = coord->next_deadline();
  ASSERT_GE(check, emptied + config.offsets_retention_ms);
  ASSERT_LT(check, emptied + config.offsets_retention_ms + config.offsets_retention_check_interval_ms);
  advance_to(check - 1);
  EXPECT_EQ(fetch("g", t0).offset, 1);
  advance_to(check);
  EXPECT_EQ(fetch("g", t0).offset, -1);
  EXPECT_EQ(coord->group_count(), 0U);
  const auto b = log.last_batch();
  ASSERT_EQ(b.records.size(), 2U);
  EXPECT_TRUE(is_offset_record(b.records[0], "g", "t", 0));
  EXPECT_FALSE(b.records[0].value);
  EXPECT_TRUE(is_group_record(b.records[1], "g"));
  EXPECT_FALSE(b.records[1].value);
}

TEST_F(coordinator_expiry, a_simple_groups_offsets_expire_by_their_commit_timestamps) {
  restart_with(expiry_config());
  const std::int64_t c0 = now();
  EXPECT_EQ(commit(commit_req("s", -1, "", {{t0, 1}}))->error, error_code::none);
  advance_to(c0 + 50000);
  EXPECT_EQ(commit(commit_req("s", -1, "", {{t1, 2}}))->error, error_code::none);
  advance_to(c0 + 99999);
  EXPECT_EQ(fetch("s", t0).offset, 1);
  advance_to(c0 + 100000);  // a check falls here (every 10000 since c0)
  EXPECT_EQ(fetch("s", t0).offset, -1);
  EXPECT_EQ(fetch("s", t1).offset, 2);
  EXPECT_EQ(state("s"), "Empty");
  const auto b = log.last_batch();
  ASSERT_EQ(b.records.size(), 1U);
  EXPECT_TRUE(is_offset_record(b.records[0], "s", "t", 0));
  advance_to(c0 + 150000);
  EXPECT_EQ(fetch("s", t1).offset, -1);
  EXPECT_EQ(coord->group_count(), 0U);
  const auto last = log.last_batch();
  ASSERT_EQ(last.records.size(), 1U);  // no group record for a group without a generation
  EXPECT_TRUE(is_offset_record(last.records[0], "s", "t", 1));
}

TEST_F(coordinator_expiry, an_explicit_retention_time_is_honoured) {
  restart_with(expiry_config());
  const std::int64_t c0 = now();
  auto r = commit_req("s", -1, "", {{t0, 1}});
  r.retention_time_ms = 25000;  // far below offsets_retention_ms
  EXPECT_EQ(commit(r)->error, error_code::none);
  EXPECT_EQ(commit(commit_req("s", -1, "", {{t1, 2}}))->error, error_code::none);
  advance_to(c0 + 20000);
  EXPECT_EQ(fetch("s", t0).offset, 1);
  advance_to(c0 + 30000);
  EXPECT_EQ(fetch("s", t0).offset, -1);
  EXPECT_EQ(fetch("s", t1).offset, 2);
}

TEST_F(coordinator_expiry, a_group_with_neither_members_nor_offsets_is_removed) {
  restart_with(expiry_config());
  const auto g = form_group({join_req()});
  coord->leave("g", {{g.ids[0], std::nullopt}});
  ASSERT_EQ(state(), "Empty");
  advance_to(now() + config.offsets_retention_check_interval_ms);
  EXPECT_EQ(coord->group_count(), 0U);
  EXPECT_EQ(state(), "Dead");
  const auto b = log.last_batch();
  ASSERT_EQ(b.records.size(), 1U);
  EXPECT_TRUE(is_group_record(b.records[0], "g"));
  EXPECT_FALSE(b.records[0].value);
}

TEST_F(coordinator_expiry, a_pending_commit_does_not_expire) {
  restart_with(expiry_config());
  const std::int64_t c0 = now();
  EXPECT_EQ(commit(commit_req("s", -1, "", {{t0, 1}}))->error, error_code::none);
  log.set_mode(fake_offsets_log::mode::hold);
  const auto c = commit(commit_req("s", -1, "", {{t0, 2}}));
  advance_to(c0 + 200000);
  // Several checks passed, but t0 had a commit in flight: untouched.
  EXPECT_EQ(coord->group_count(), 1U);
  log.release_all();
  EXPECT_EQ(fetch("s", t0).offset, 2);
}

// ---- Replay ----

TEST_F(coordinator_replay, a_new_coordinator_rebuilds_groups_and_offsets_from_the_records) {
  const auto g = form_group({join_req(), join_req("", "instance-s")});
  const std::string& a = g.ids[0];
  const std::string& s = g.ids[1];
  auto r = commit_req("g", 1, a, {{t0, 5}});
  r.offsets[0].second.metadata = "m";
  r.offsets[0].second.leader_epoch = 3;
  EXPECT_EQ(commit(r)->error, error_code::none);
  EXPECT_EQ(commit(commit_req("simple", -1, "", {{t0, 7}, {u0, 8}}))->error, error_code::none);
  EXPECT_EQ(delete_offsets("simple", {u0})->error, error_code::none);
  const auto d = form_group({join_req("", std::nullopt, "deleted")});
  EXPECT_EQ(commit(commit_req("deleted", 1, d.ids[0], {{t0, 1}}))->error, error_code::none);
  coord->leave("deleted", {{d.ids[0], std::nullopt}});
  EXPECT_EQ(delete_groups({"deleted"})->at(0), error_code::none);
  const auto e = form_group({join_req("", std::nullopt, "emptied")});
  coord->leave("emptied", {{e.ids[0], std::nullopt}});
  ASSERT_TRUE(heartbeat(a, 1) == error_code::none && heartbeat(s, 1, "instance-s") == error_code::none);

  replay_into_new_coordinator();
  const std::int64_t loaded = now();
  EXPECT_EQ(coord->group_count(), 3U);  // g, simple, emptied
  const auto f = fetch("g", t0);
  EXPECT_EQ(f.offset, 5);
  EXPECT_EQ(f.metadata, "m");
  EXPECT_EQ(f.leader_epoch, 3);
  EXPECT_EQ(fetch("simple", t0).offset, 7);
  EXPECT_EQ(fetch("simple", u0).offset, -1);
  EXPECT_EQ(state("deleted"), "Dead");
  EXPECT_EQ(fetch("deleted", t0).offset, -1);
  EXPECT_EQ(state("emptied"), "Empty");
  EXPECT_EQ(commit(commit_req("emptied", 2, "x", {{t0, 1}}))->error, error_code::unknown_member_id);

  const auto desc = coord->describe("g");
  EXPECT_EQ(desc.state, "Stable");
  EXPECT_EQ(desc.protocol_type, "consumer");
  EXPECT_EQ(desc.protocol_data, "range");
  ASSERT_EQ(desc.members.size(), 2U);
  for (const auto& m : desc.members) {
    EXPECT_EQ(m.metadata, subscription({"t"}));
    EXPECT_EQ(m.assignment, bytes("assignment-" + m.member_id));
    EXPECT_EQ(m.client_id, "client");
  }
  EXPECT_EQ(heartbeat(a, 2), error_code::illegal_generation);
  EXPECT_EQ(heartbeat(a, 1), error_code::none);
  EXPECT_EQ(heartbeat("client-impostor", 1, "instance-s"), error_code::fenced_instance_id);
  // The leader is known: a follower rejoining unchanged stays in generation 1.
  const auto rejoin = join(join_req(s, "instance-s"));
  ASSERT_TRUE(rejoin.ready());
  EXPECT_EQ(rejoin->generation_id, 1);
  EXPECT_EQ(rejoin->leader, g.leader);

  // Members must heartbeat within their session from the load on: a keeps at it, s stops.
  advance_to(loaded + session_ms - 1000);
  EXPECT_EQ(heartbeat(a, 1), error_code::none);
  advance_to(loaded + session_ms - 1);
  EXPECT_EQ(coord->describe("g").members.size(), 2U);
  advance_to(loaded + session_ms);
  EXPECT_EQ(coord->describe("g").members.size(), 1U);
  EXPECT_EQ(state(), "PreparingRebalance");
  EXPECT_EQ(heartbeat(s, 1, "instance-s"), error_code::unknown_member_id);
}

TEST_F(coordinator_replay, an_old_group_record_without_a_state_timestamp_expires_by_commit_time) {
  // Value version 0/1 group records carry no current_state_timestamp: an Empty group's offsets
  // then expire by their commit timestamps, as in Kafka.
  restart_with(expiry_config());
  const std::int64_t t = now();
  group_value empty;
  empty.protocol_type = "consumer";
  empty.generation = 4;
  auto value = encode_value(empty);  // version 3, with current_state_timestamp = -1
  coord->load_record(encode_key(group_key{"old"}), base::byte_span(value));
  auto offset = encode_value(offset_value{.offset = 9, .commit_timestamp = t - 95000});
  coord->load_record(encode_key(offset_key{"old", "t", 0}), base::byte_span(offset));
  EXPECT_EQ(state("old"), "Empty");
  advance_to(t + 10000);
  EXPECT_EQ(fetch("old", t0).offset, -1);
}

TEST_F(coordinator_replay, tombstones_remove_offsets_and_groups) {
  auto v = encode_value(offset_value{.offset = 1, .commit_timestamp = now()});
  coord->load_record(encode_key(offset_key{"s", "t", 0}), base::byte_span(v));
  coord->load_record(encode_key(offset_key{"s", "t", 1}), base::byte_span(v));
  coord->load_record(encode_key(offset_key{"s", "t", 0}), std::nullopt);
  EXPECT_EQ(fetch("s", t0).offset, -1);
  EXPECT_EQ(fetch("s", t1).offset, 1);

  group_value gv;
  gv.protocol_type = "consumer";
  gv.generation = 2;
  gv.current_state_timestamp = now();
  auto g = encode_value(gv);
  coord->load_record(encode_key(group_key{"x"}), base::byte_span(g));
  EXPECT_EQ(state("x"), "Empty");
  coord->load_record(encode_key(group_key{"x"}), std::nullopt);
  EXPECT_EQ(state("x"), "Dead");
  // A group tombstone leaves the offsets that have none of their own.
  coord->load_record(encode_key(group_key{"s"}), base::byte_span(g));
  coord->load_record(encode_key(group_key{"s"}), std::nullopt);
  EXPECT_EQ(fetch("s", t1).offset, 1);
  EXPECT_EQ(coord->group_count(), 1U);
}

// ---- Deadlines ----

TEST_F(coordinator_deadline, next_deadline_is_the_earliest_pending_one) {
  int wakeups = 0;
  coord->set_wakeup([&wakeups] { ++wakeups; });
  const std::int64_t t = now();
  EXPECT_EQ(coord->next_deadline(), t + config.offsets_retention_check_interval_ms);

  const auto a = join(join_req());
  EXPECT_GT(wakeups, 0);
  EXPECT_EQ(coord->next_deadline(), t + config.initial_rebalance_delay_ms);
  advance_to(t + config.initial_rebalance_delay_ms);
  ASSERT_TRUE(a.ready());
  // CompletingRebalance: the session of the member, then its sync deadline.
  EXPECT_EQ(coord->next_deadline(), now() + session_ms);
  ASSERT_TRUE(sync(a->member_id, 1).ready());
  const std::int64_t stable_at = now();
  EXPECT_EQ(coord->next_deadline(), stable_at + session_ms);
  advance(4000);
  EXPECT_EQ(heartbeat(a->member_id, 1), error_code::none);
  EXPECT_EQ(coord->next_deadline(), stable_at + 4000 + session_ms);
  EXPECT_EQ(coord->expire_due(), coord->next_deadline());

  // A new member's join: the rebalance deadline is later than the session of the old member.
  const auto b = join(join_req());
  EXPECT_EQ(coord->next_deadline(), stable_at + 4000 + session_ms);
  EXPECT_EQ(heartbeat(a->member_id, 1), error_code::rebalance_in_progress);
  const auto rejoin = join(join_req(a->member_id));
  ASSERT_TRUE(rejoin.ready());
  // Both joined: sessions restart and the sync deadline (rebalance timeout) is later.
  EXPECT_EQ(coord->next_deadline(), now() + session_ms);
}

TEST_F(coordinator_deadline, handing_out_the_assignment_announces_the_session_it_starts) {
  int wakeups = 0;
  coord->set_wakeup([&wakeups] { ++wakeups; });
  const auto a = join(join_req());
  advance_to(now() + config.initial_rebalance_delay_ms);
  ASSERT_TRUE(a.ready());
  // While the leader's SyncGroup waits for its record the member has no deadline, so the deadline
  // thread may sleep until the offsets check; the assignment must wake it for the new session.
  const int before = wakeups;
  ASSERT_TRUE(sync(a->member_id, 1).ready());
  EXPECT_GT(wakeups, before);
  EXPECT_EQ(coord->next_deadline(), now() + session_ms);
}

}  // namespace
}  // namespace spate::group::test
