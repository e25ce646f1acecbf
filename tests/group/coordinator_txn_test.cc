// Transactional offset commits (TxnOffsetCommit, KIP-98/KIP-447): offsets held per producer until
// the transaction's marker commits or aborts them, their batch in __consumer_offsets, replay with
// markers, and how deletion and expiry treat them. The expectations are those of Kafka's
// GroupCoordinator.handleTxnCommitOffsets and its group coordinator's OffsetMetadataManager.
#include "group/coordinator.h"

#include <gtest/gtest.h>

#include "coordinator_test_support.h"

namespace spate::group::test {
namespace {

const topic_partition t0{"t", 0};
const topic_partition t1{"t", 1};
const topic_partition u0{"u", 0};

constexpr std::int64_t producer_a = 1000;
constexpr std::int64_t producer_b = 2000;

struct coordinator_txn : coordinator_fixture {
  static txn_commit_request txn_req(std::string group, std::int64_t producer_id,
                                    std::vector<std::pair<topic_partition, std::int64_t>> offsets,
                                    std::int16_t epoch = 0) {
    txn_commit_request r;
    r.group_id = std::move(group);
    r.transactional_id = "txn-" + std::to_string(producer_id);
    r.producer_id = producer_id;
    r.producer_epoch = epoch;
    for (auto& [tp, offset] : offsets) r.offsets.push_back({tp, committed_offset{.offset = offset, .metadata = ""}});
    return r;
  }
  answer<commit_result> txn_commit(txn_commit_request r) {
    answer<commit_result> a;
    coord->txn_commit(std::move(r), a.callback());
    return a;
  }
  // A transactional commit that must succeed at once (the log is durable).
  void txn_commit_ok(const std::string& group, std::int64_t producer_id,
                     std::vector<std::pair<topic_partition, std::int64_t>> offsets) {
    const auto c = txn_commit(txn_req(group, producer_id, std::move(offsets)));
    ASSERT_TRUE(c.ready());
    ASSERT_EQ(c->error, error_code::none);
    for (const auto e : c->partition_errors) ASSERT_EQ(e, error_code::none);
  }
  void commit_ok(const std::string& group, std::vector<std::pair<topic_partition, std::int64_t>> offsets) {
    const auto c = commit(commit_req(group, -1, "", std::move(offsets)));
    ASSERT_TRUE(c.ready());
    ASSERT_EQ(c->error, error_code::none);
  }
  std::int32_t partition_of(const std::string& group) const { return partition_for_group(group, log.partition_count()); }
  void end_txn(const std::string& group, std::int64_t producer_id, bool commit) {
    // As the broker: the marker is durable in the group's partition, then the coordinator hears.
    log.append_marker(partition_of(group), producer_id, commit);
    coord->complete_transaction(producer_id, commit, partition_of(group));
  }
  std::int64_t offset_of(const std::string& group, const topic_partition& tp) const { return fetch(group, tp).offset; }
};

// ---- TxnOffsetCommit ----

TEST_F(coordinator_txn, a_commit_outside_any_group_creates_an_empty_group_and_writes_one_transactional_batch) {
  auto r = txn_req("s", producer_a, {{t0, 10}, {t1, 11}}, 5);
  r.offsets[0].second.metadata = "meta";
  r.offsets[0].second.leader_epoch = 3;
  const auto c = txn_commit(r);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::none);
  EXPECT_EQ(c->partition_errors, (std::vector<error_code>{error_code::none, error_code::none}));
  EXPECT_EQ(state("s"), "Empty");
  EXPECT_EQ(coord->group_count(), 1U);

  ASSERT_EQ(log.batch_count(), 1U);
  const auto b = log.last_batch();
  EXPECT_EQ(b.partition, partition_of("s"));
  EXPECT_EQ(b.producer, (transactional_producer{producer_a, 5}));
  ASSERT_EQ(b.records.size(), 2U);
  // The same record format as a plain commit.
  ASSERT_TRUE(is_offset_record(b.records[0], "s", "t", 0));
  ASSERT_TRUE(is_offset_record(b.records[1], "s", "t", 1));
  const auto v = decode_offset_value(*b.records[0].value);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->offset, 10);
  EXPECT_EQ(v->leader_epoch, 3);
  EXPECT_EQ(v->metadata, "meta");
  EXPECT_EQ(v->commit_timestamp, now());
  EXPECT_EQ(v->expire_timestamp, -1);
}

TEST_F(coordinator_txn, plain_commits_are_written_without_a_producer) {
  commit_ok("s", {{t0, 1}});
  EXPECT_FALSE(log.last_batch().producer.has_value());
}

TEST_F(coordinator_txn, the_answer_waits_for_the_batch_to_be_durable) {
  log.set_mode(fake_offsets_log::mode::hold);
  const auto c = txn_commit(txn_req("s", producer_a, {{t0, 10}}));
  EXPECT_FALSE(c.ready());
  // In flight: not stable, nothing committed.
  EXPECT_EQ(fetch("s", t0, true).error, error_code::unstable_offset_commit);
  log.release_one();
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::none);
  EXPECT_EQ(fetch("s", t0, true).error, error_code::unstable_offset_commit);  // now pending
  EXPECT_EQ(offset_of("s", t0), -1);
}

TEST_F(coordinator_txn, a_failed_append_fails_the_written_partitions_and_leaves_nothing_pending) {
  log.set_mode(fake_offsets_log::mode::fail);
  const auto c = txn_commit(txn_req("s", producer_a, {{t0, 10}}));
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->partition_errors, std::vector<error_code>{error_code::not_coordinator});
  EXPECT_EQ(fetch("s", t0, true).error, error_code::none);
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), -1);
}

TEST_F(coordinator_txn, a_stale_producer_epoch_refused_by_the_log_answers_producer_fenced) {
  log.set_mode(fake_offsets_log::mode::hold);
  const auto c = txn_commit(txn_req("s", producer_a, {{t0, 10}}));
  log.release_one(errc::invalid_producer_epoch);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->partition_errors, std::vector<error_code>{error_code::producer_fenced});
}

TEST_F(coordinator_txn, too_large_metadata_fails_only_its_partition) {
  auto r = txn_req("s", producer_a, {{t0, 10}, {t1, 11}});
  r.offsets[0].second.metadata = std::string(static_cast<std::size_t>(config.max_metadata_bytes) + 1, 'm');
  const auto c = txn_commit(r);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->partition_errors, (std::vector<error_code>{error_code::offset_metadata_too_large, error_code::none}));
  ASSERT_EQ(log.last_batch().records.size(), 1U);
  EXPECT_TRUE(is_offset_record(log.last_batch().records[0], "s", "t", 1));
}

TEST_F(coordinator_txn, every_partition_refused_writes_nothing) {
  auto r = txn_req("s", producer_a, {{t0, 10}});
  r.offsets[0].second.metadata = std::string(static_cast<std::size_t>(config.max_metadata_bytes) + 1, 'm');
  const auto c = txn_commit(r);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->partition_errors, std::vector<error_code>{error_code::offset_metadata_too_large});
  EXPECT_EQ(log.batch_count(), 0U);
}

TEST_F(coordinator_txn, an_empty_group_id_or_a_missing_producer_id_is_refused) {
  const auto empty_id = txn_commit(txn_req("", producer_a, {{t0, 10}}));
  ASSERT_TRUE(empty_id.ready());
  EXPECT_EQ(empty_id->error, error_code::invalid_group_id);
  const auto no_producer = txn_commit(txn_req("s", -1, {{t0, 10}}));
  ASSERT_TRUE(no_producer.ready());
  EXPECT_EQ(no_producer->error, error_code::invalid_request);
  EXPECT_EQ(log.batch_count(), 0U);
  EXPECT_EQ(coord->group_count(), 0U);
}

// ---- Member validation (KIP-447) ----

TEST_F(coordinator_txn, a_current_member_of_the_current_generation_may_commit) {
  const auto g = form_group({join_req()});
  auto r = txn_req("g", producer_a, {{t0, 10}});
  r.generation_id = g.generation;
  r.member_id = g.leader;
  const auto c = txn_commit(r);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::none);
}

TEST_F(coordinator_txn, a_request_naming_no_member_is_accepted_by_a_group_with_members) {
  // Unlike OffsetCommit (UNKNOWN_MEMBER_ID): older TxnOffsetCommit versions carry no member.
  form_group({join_req()});
  const auto c = txn_commit(txn_req("g", producer_a, {{t0, 10}}));
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::none);
}

TEST_F(coordinator_txn, an_unknown_member_or_a_stale_generation_is_refused) {
  const auto g = form_group({join_req()});
  const auto batches_before = log.batch_count();
  auto unknown = txn_req("g", producer_a, {{t0, 10}});
  unknown.generation_id = g.generation;
  unknown.member_id = "nobody";
  auto stale = txn_req("g", producer_a, {{t0, 10}});
  stale.generation_id = g.generation - 1;
  stale.member_id = g.leader;
  auto member_without_generation = txn_req("g", producer_a, {{t0, 10}});
  member_without_generation.member_id = g.leader;  // generation -1 is not this group's
  const auto a = txn_commit(unknown);
  const auto b = txn_commit(stale);
  const auto c = txn_commit(member_without_generation);
  ASSERT_TRUE(a.ready() && b.ready() && c.ready());
  EXPECT_EQ(a->error, error_code::unknown_member_id);
  EXPECT_EQ(b->error, error_code::illegal_generation);
  EXPECT_EQ(c->error, error_code::illegal_generation);
  EXPECT_EQ(log.batch_count(), batches_before);
}

TEST_F(coordinator_txn, a_static_member_replaced_by_a_new_instance_is_fenced) {
  const auto g = form_group({join_req("", "instance-1")});
  auto r = txn_req("g", producer_a, {{t0, 10}});
  r.generation_id = g.generation;
  r.member_id = "an-older-member-id";
  r.group_instance_id = "instance-1";
  const auto c = txn_commit(r);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::fenced_instance_id);
}

TEST_F(coordinator_txn, a_member_of_a_group_that_does_not_exist_is_unknown_and_creates_nothing) {
  auto r = txn_req("nope", producer_a, {{t0, 10}});
  r.generation_id = 1;
  r.member_id = "m";
  const auto c = txn_commit(r);
  ASSERT_TRUE(c.ready());
  EXPECT_EQ(c->error, error_code::unknown_member_id);
  EXPECT_EQ(coord->group_count(), 0U);
}

// ---- Completion ----

TEST_F(coordinator_txn, pending_offsets_are_invisible_until_the_transaction_commits) {
  commit_ok("s", {{t0, 5}});
  txn_commit_ok("s", producer_a, {{t0, 10}, {t1, 11}});
  EXPECT_EQ(offset_of("s", t0), 5);
  EXPECT_EQ(offset_of("s", t1), -1);
  // Fetching every offset lists the committed ones only.
  const auto all = coord->fetch_offsets("s", std::nullopt, false);
  ASSERT_EQ(all.offsets.size(), 1U);
  EXPECT_EQ(all.offsets[0].offset, 5);

  const auto batches_before = log.batch_count();
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 10);
  EXPECT_EQ(offset_of("s", t1), 11);
  EXPECT_EQ(log.batch_count(), batches_before);  // the marker is the record: nothing written
  EXPECT_EQ(fetch("s", t0, true).error, error_code::none);
}

TEST_F(coordinator_txn, an_abort_drops_the_pending_offsets) {
  commit_ok("s", {{t0, 5}});
  txn_commit_ok("s", producer_a, {{t0, 10}, {t1, 11}});
  coord->complete_transaction(producer_a, false, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 5);
  EXPECT_EQ(offset_of("s", t1), -1);
  EXPECT_EQ(fetch("s", t0, true).error, error_code::none);
  // Nothing is left to commit later.
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 5);
}

TEST_F(coordinator_txn, a_marker_settles_only_its_producer_and_only_groups_of_its_partition) {
  // Two groups on different __consumer_offsets partitions.
  std::string other;
  for (int i = 0; other.empty(); ++i) {
    const auto id = "s" + std::to_string(i);
    if (partition_of(id) != partition_of("s")) other = id;
  }
  txn_commit_ok("s", producer_a, {{t0, 10}});
  txn_commit_ok(other, producer_a, {{t0, 20}});
  txn_commit_ok("s", producer_b, {{t1, 30}});

  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 10);
  EXPECT_EQ(offset_of(other, t0), -1);  // its own partition's marker has not come
  EXPECT_EQ(offset_of("s", t1), -1);    // another producer's transaction
  EXPECT_EQ(fetch("s", t1, true).error, error_code::unstable_offset_commit);

  coord->complete_transaction(producer_a, true, partition_of(other));
  EXPECT_EQ(offset_of(other, t0), 20);
  coord->complete_transaction(producer_b, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t1), 30);
}

TEST_F(coordinator_txn, require_stable_answers_unstable_for_partitions_with_pending_offsets_only) {
  commit_ok("s", {{t0, 5}, {t1, 6}});
  txn_commit_ok("s", producer_a, {{t0, 10}});
  const auto stable = coord->fetch_offsets("s", std::vector<topic_partition>{t0, t1}, true);
  ASSERT_EQ(stable.offsets.size(), 2U);
  EXPECT_EQ(stable.offsets[0].error, error_code::unstable_offset_commit);
  EXPECT_EQ(stable.offsets[0].offset, -1);
  EXPECT_EQ(stable.offsets[1].error, error_code::none);
  EXPECT_EQ(stable.offsets[1].offset, 6);
  // Without require_stable: the last committed offset.
  EXPECT_EQ(fetch("s", t0, false).error, error_code::none);
  EXPECT_EQ(fetch("s", t0, false).offset, 5);
  const auto all = coord->fetch_offsets("s", std::nullopt, true);
  ASSERT_EQ(all.offsets.size(), 2U);
  EXPECT_EQ(all.offsets[0].error, error_code::unstable_offset_commit);
}

TEST_F(coordinator_txn, a_plain_commit_written_after_the_transactional_record_wins_over_it) {
  txn_commit_ok("s", producer_a, {{t0, 10}});
  commit_ok("s", {{t0, 20}});
  EXPECT_EQ(offset_of("s", t0), 20);
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 20);  // the committed record is newer
}

TEST_F(coordinator_txn, a_plain_commit_written_before_the_transactional_record_is_replaced) {
  commit_ok("s", {{t0, 20}});
  txn_commit_ok("s", producer_a, {{t0, 10}});
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 10);
}

TEST_F(coordinator_txn, a_plain_commit_completing_after_a_newer_committed_transaction_does_not_replace_it) {
  // The plain record is appended first but its completion arrives after the transaction's
  // record was committed: the log says the transaction's offset is the newer one.
  log.set_mode(fake_offsets_log::mode::hold);
  const auto plain = commit(commit_req("s", -1, "", {{t0, 20}}));
  log.set_mode(fake_offsets_log::mode::durable);
  txn_commit_ok("s", producer_a, {{t0, 10}});
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 10);
  log.release_one();
  ASSERT_TRUE(plain.ready());
  EXPECT_EQ(plain->partition_errors, std::vector<error_code>{error_code::none});
  EXPECT_EQ(offset_of("s", t0), 10);
}

TEST_F(coordinator_txn, two_producers_on_one_group_settle_independently) {
  txn_commit_ok("s", producer_a, {{t0, 10}, {u0, 1}});
  txn_commit_ok("s", producer_b, {{t0, 20}, {t1, 2}});
  coord->complete_transaction(producer_b, false, partition_of("s"));
  EXPECT_EQ(offset_of("s", t1), -1);
  EXPECT_EQ(fetch("s", t0, true).error, error_code::unstable_offset_commit);  // producer_a still open
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 10);
  EXPECT_EQ(offset_of("s", u0), 1);
  EXPECT_EQ(fetch("s", t0, true).error, error_code::none);
}

TEST_F(coordinator_txn, of_two_committed_transactions_the_later_record_wins_whatever_the_marker_order) {
  txn_commit_ok("s", producer_a, {{t0, 10}});
  txn_commit_ok("s", producer_b, {{t0, 20}});
  coord->complete_transaction(producer_b, true, partition_of("s"));
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 20);
}

TEST_F(coordinator_txn, a_producer_commits_again_in_its_next_transaction) {
  txn_commit_ok("s", producer_a, {{t0, 10}});
  coord->complete_transaction(producer_a, true, partition_of("s"));
  txn_commit_ok("s", producer_a, {{t0, 15}});
  EXPECT_EQ(offset_of("s", t0), 10);
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 15);
}

// ---- Replay ----

TEST_F(coordinator_txn, replay_settles_pending_offsets_with_their_markers) {
  commit_ok("s", {{t0, 1}, {t1, 2}, {u0, 3}});
  txn_commit_ok("s", producer_a, {{t0, 10}});
  txn_commit_ok("s", producer_b, {{t1, 20}});
  const std::int64_t producer_c = 3000;
  txn_commit_ok("s", producer_c, {{u0, 30}});
  log.append_marker(partition_of("s"), producer_a, true);
  log.append_marker(partition_of("s"), producer_b, false);
  // producer_c's transaction has no marker yet.

  replay_into_new_coordinator();
  EXPECT_EQ(offset_of("s", t0), 10);  // committed
  EXPECT_EQ(offset_of("s", t1), 2);   // aborted
  EXPECT_EQ(offset_of("s", u0), 3);   // still pending
  EXPECT_EQ(fetch("s", u0, true).error, error_code::unstable_offset_commit);
  EXPECT_EQ(fetch("s", t0, true).error, error_code::none);
  EXPECT_EQ(fetch("s", t1, true).error, error_code::none);

  // The transaction coordinator finishes it later.
  coord->complete_transaction(producer_c, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", u0), 30);
}

TEST_F(coordinator_txn, replay_keeps_a_plain_commit_written_after_the_transactional_record) {
  txn_commit_ok("s", producer_a, {{t0, 10}, {t1, 11}});
  commit_ok("s", {{t0, 20}});
  log.append_marker(partition_of("s"), producer_a, true);
  replay_into_new_coordinator();
  EXPECT_EQ(offset_of("s", t0), 20);
  EXPECT_EQ(offset_of("s", t1), 11);
}

TEST_F(coordinator_txn, replay_agrees_with_the_live_coordinator) {
  commit_ok("s", {{t0, 1}});
  txn_commit_ok("s", producer_a, {{t0, 10}, {t1, 11}});
  commit_ok("s", {{t1, 21}});
  txn_commit_ok("s", producer_b, {{u0, 30}});
  end_txn("s", producer_a, true);
  end_txn("s", producer_b, false);
  const auto live = coord->fetch_offsets("s", std::nullopt, true);
  replay_into_new_coordinator();
  const auto replayed = coord->fetch_offsets("s", std::nullopt, true);
  ASSERT_EQ(live.offsets.size(), replayed.offsets.size());
  for (std::size_t i = 0; i < live.offsets.size(); ++i) {
    EXPECT_EQ(live.offsets[i].partition, replayed.offsets[i].partition);
    EXPECT_EQ(live.offsets[i].offset, replayed.offsets[i].offset);
    EXPECT_EQ(live.offsets[i].error, replayed.offsets[i].error);
  }
  EXPECT_EQ(offset_of("s", t0), 10);
  EXPECT_EQ(offset_of("s", t1), 21);
}

TEST_F(coordinator_txn, a_replayed_marker_settles_only_groups_of_its_partition) {
  std::string other;
  for (int i = 0; other.empty(); ++i) {
    const auto id = "s" + std::to_string(i);
    if (partition_of(id) != partition_of("s")) other = id;
  }
  txn_commit_ok("s", producer_a, {{t0, 10}});
  txn_commit_ok(other, producer_a, {{t0, 20}});
  log.append_marker(partition_of("s"), producer_a, true);
  replay_into_new_coordinator();
  EXPECT_EQ(offset_of("s", t0), 10);
  EXPECT_EQ(offset_of(other, t0), -1);
  EXPECT_EQ(fetch(other, t0, true).error, error_code::unstable_offset_commit);
}

TEST_F(coordinator_txn, a_group_of_pending_offsets_only_survives_replay) {
  txn_commit_ok("s", producer_a, {{t0, 10}});
  replay_into_new_coordinator();
  EXPECT_EQ(coord->group_count(), 1U);
  EXPECT_EQ(state("s"), "Empty");
  coord->complete_transaction(producer_a, true, partition_of("s"));
  EXPECT_EQ(offset_of("s", t0), 10);
}

// ---- Deletion and expiry ----

TEST_F(coordinator_txn, expiry_keeps_a_group_with_pending_offsets_and_their_committed_partitions) {
  auto c = default_config();
  c.offsets_retention_ms = 100000;
  c.offsets_retention_check_interval_ms = 10000;
  restart_with(c);
  commit_ok("s", {{t0, 1}, {t1, 2}});
  txn_commit_ok("s", producer_a, {{t0, 10}});
  txn_commit_ok("p", producer_a, {{t0, 5}});  // a group with pending offsets only
  advance_to(now() + 200000);
  EXPECT_EQ(offset_of("s", t1), -1);  // expired
  EXPECT_EQ(offset_of("s", t0), 1);   // kept: an open transaction has an offset for it
  EXPECT_EQ(coord->group_count(), 2U);

  coord->complete_transaction(producer_a, true, partition_of("s"));
  coord->complete_transaction(producer_a, true, partition_of("p"));
  EXPECT_EQ(offset_of("s", t0), 10);
  EXPECT_EQ(offset_of("p", t0), 5);
  // Once committed they expire by their commit timestamps, long past, and the groups with them.
  advance_to(now() + c.offsets_retention_check_interval_ms);
  EXPECT_EQ(coord->group_count(), 0U);
}

TEST_F(coordinator_txn, deleting_an_empty_group_drops_its_pending_offsets_with_tombstones) {
  commit_ok("s", {{t0, 1}});
  txn_commit_ok("s", producer_a, {{t0, 10}, {t1, 11}});
  const auto d = delete_groups({"s"});
  ASSERT_TRUE(d.ready());
  EXPECT_EQ(d.get(), std::vector<error_code>{error_code::none});
  EXPECT_EQ(coord->group_count(), 0U);
  // One tombstone per partition, committed or pending.
  const auto b = log.last_batch();
  ASSERT_EQ(b.records.size(), 2U);
  EXPECT_TRUE(is_offset_record(b.records[0], "s", "t", 0));
  EXPECT_TRUE(is_offset_record(b.records[1], "s", "t", 1));
  EXPECT_FALSE(b.records[0].value || b.records[1].value);

  // The transaction commits afterwards: nothing comes back, live or on replay.
  end_txn("s", producer_a, true);
  EXPECT_EQ(coord->group_count(), 0U);
  EXPECT_EQ(offset_of("s", t1), -1);
  replay_into_new_coordinator();
  EXPECT_EQ(offset_of("s", t0), -1);
  EXPECT_EQ(offset_of("s", t1), -1);
}

TEST_F(coordinator_txn, deleting_offsets_drops_the_pending_ones_of_the_partition) {
  txn_commit_ok("s", producer_a, {{t0, 10}, {t1, 11}});
  const auto d = delete_offsets("s", {t0});
  ASSERT_TRUE(d.ready());
  EXPECT_EQ(d->partition_errors, std::vector<error_code>{error_code::none});
  const auto b = log.last_batch();
  ASSERT_EQ(b.records.size(), 1U);
  EXPECT_TRUE(is_offset_record(b.records[0], "s", "t", 0));
  EXPECT_EQ(coord->group_count(), 1U);  // t1 is still pending
  end_txn("s", producer_a, true);
  EXPECT_EQ(offset_of("s", t0), -1);
  EXPECT_EQ(offset_of("s", t1), 11);
  replay_into_new_coordinator();
  EXPECT_EQ(offset_of("s", t0), -1);
  EXPECT_EQ(offset_of("s", t1), 11);
}

TEST_F(coordinator_txn, deleting_a_topic_drops_its_pending_offsets) {
  txn_commit_ok("s", producer_a, {{t0, 10}, {u0, 11}});
  EXPECT_EQ(coord->remove_topic_offsets("t"), 1U);
  end_txn("s", producer_a, true);
  EXPECT_EQ(offset_of("s", t0), -1);
  EXPECT_EQ(offset_of("s", u0), 11);
}

}  // namespace
}  // namespace spate::group::test
