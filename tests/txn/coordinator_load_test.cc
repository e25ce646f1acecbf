// Start-up: replaying __transaction_state records rebuilds every state; prepared transactions get
// their markers written once serving starts.
#include "coordinator_test_support.h"

namespace spate::txn::test {
namespace {

using protocol::error_code;

struct load : coordinator_fixture {
  // A coordinator over the same log and clock but its own marker writer, serving after replaying
  // `records`: the old coordinator may still have marker writes outstanding on `markers`.
  fake_marker_writer fresh_markers;
  std::unique_ptr<transaction_coordinator> replayed;

  transaction_coordinator& replay(const std::vector<transaction_record>& records) {
    replayed = std::make_unique<transaction_coordinator>(config, log, fresh_markers, ids, clock);
    for (const auto& r : records) {
      std::optional<base::byte_span> value;
      if (r.value) value = base::byte_span(*r.value);
      replayed->load_record(r.key, value);
    }
    replayed->resume_after_load();
    return *replayed;
  }
};

transaction_record record(const std::string& id, ts status, std::int16_t epoch = 0,
                          std::set<topic_partition> partitions = {}) {
  transaction_value v;
  v.producer_id = 77;
  v.producer_epoch = epoch;
  v.timeout_ms = default_timeout_ms;
  v.status = status;
  v.partitions = std::move(partitions);
  v.last_update_timestamp_ms = 1'700'000'000'000;
  v.start_timestamp_ms = status == ts::empty ? -1 : 1'699'999'999'000;
  return {encode_key(id), encode_value(v)};
}

TEST_F(load, replay_rebuilds_every_settled_state_as_it_was) {
  init("empty");                                         // 1000
  init("ongoing");                                       // 1001
  add("ongoing", 1001, 0, {{"t", 0}, {"u", 1}});
  init("committed");                                     // 1002
  add("committed", 1002, 0, {{"t", 0}});
  end("committed", 1002, 0, true);
  init("aborted");                                       // 1003
  add("aborted", 1003, 0, {{"t", 0}});
  end("aborted", 1003, 0, false);
  init("aborted");                                       // epoch 1
  const std::vector<std::string> ids_ = {"aborted", "committed", "empty", "ongoing"};
  const auto before = coordinator->describe(ids_);

  auto& c = replay(log.durable_records());
  const auto after = c.describe(ids_);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].error, error_code::none) << ids_[i];
    EXPECT_EQ(after[i].state, before[i].state) << ids_[i];
    EXPECT_EQ(after[i].producer_id, before[i].producer_id) << ids_[i];
    EXPECT_EQ(after[i].producer_epoch, before[i].producer_epoch) << ids_[i];
    EXPECT_EQ(after[i].transaction_timeout_ms, before[i].transaction_timeout_ms) << ids_[i];
    EXPECT_EQ(after[i].transaction_start_time_ms, before[i].transaction_start_time_ms) << ids_[i];
    EXPECT_EQ(after[i].topics, before[i].topics) << ids_[i];
  }
  EXPECT_EQ(after[0].state, "Empty");
  EXPECT_EQ(after[1].state, "CompleteCommit");
  EXPECT_EQ(after[3].state, "Ongoing");
  EXPECT_TRUE(fresh_markers.requests().empty());
  // The replayed coordinator carries on: the ongoing transaction commits, epochs keep counting.
  answer<error_code> committed;
  c.end_transaction({"ongoing", 1001, 0, true}, committed.callback());
  EXPECT_EQ(committed.get(), error_code::none);
  answer<init_producer_id_result> again;
  c.init_producer_id({"aborted", default_timeout_ms, -1, -1}, again.callback());
  EXPECT_EQ(again.get(), (init_producer_id_result{error_code::none, 1003, 2}));
}

TEST_F(load, a_prepared_commit_gets_its_markers_written_after_loading_then_completes) {
  init("app");
  add("app", 1000, 0, {{"t", 0}, {"t", 1}});
  markers.set_auto_succeed(false);
  ASSERT_EQ(end("app", 1000, 0, true), error_code::none);  // PrepareCommit durable, markers pending
  fresh_markers.set_auto_succeed(false);

  replayed = std::make_unique<transaction_coordinator>(config, log, fresh_markers, ids, clock);
  for (const auto& r : log.durable_records()) replayed->load_record(r.key, base::byte_span(*r.value));
  EXPECT_TRUE(fresh_markers.requests().empty());  // not before serving starts
  replayed->resume_after_load();

  ASSERT_EQ(fresh_markers.requests().size(), 1u);
  const auto req = fresh_markers.requests()[0];
  EXPECT_TRUE(req.commit);
  EXPECT_EQ(req.producer_id, 1000);
  EXPECT_EQ(req.producer_epoch, 0);
  EXPECT_EQ(req.partitions, (std::vector<topic_partition>{{"t", 0}, {"t", 1}}));
  EXPECT_EQ(replayed->describe({"app"})[0].state, "PrepareCommit");
  fresh_markers.succeed();
  EXPECT_EQ(replayed->describe({"app"})[0].state, "CompleteCommit");
  EXPECT_EQ(log.last_value()->status, ts::complete_commit);
}

TEST_F(load, a_prepared_abort_is_resumed_as_an_abort) {
  auto& c = replay({record("app", ts::prepare_abort, 4, {{"t", 2}})});
  ASSERT_EQ(fresh_markers.requests().size(), 1u);
  EXPECT_FALSE(fresh_markers.requests()[0].commit);
  EXPECT_EQ(fresh_markers.requests()[0].producer_epoch, 4);
  EXPECT_EQ(c.describe({"app"})[0].state, "CompleteAbort");
}

TEST_F(load, an_ongoing_transaction_past_its_timeout_is_aborted_by_the_next_expiry_check) {
  // Started at 1'699'999'999'000 with a 60 s timeout; the broker was down past that.
  clock.advance(60'000);
  auto& c = replay({record("app", ts::ongoing, 3, {{"t", 0}})});
  EXPECT_EQ(c.describe({"app"})[0].state, "Ongoing");
  EXPECT_LE(c.next_deadline(), clock.now_ms());
  c.expire_due();
  EXPECT_EQ(c.describe({"app"})[0].state, "CompleteAbort");
  EXPECT_EQ(c.describe({"app"})[0].producer_epoch, 4);
}

TEST_F(load, later_records_replace_earlier_ones_and_tombstones_remove_ids) {
  auto& c = replay({
      record("a", ts::empty, 0),
      record("a", ts::ongoing, 0, {{"t", 0}}),
      record("b", ts::empty, 5),
      {encode_key("b"), std::nullopt},
      record("c", ts::complete_commit, 2),
      record("c", ts::dead, 2),
  });
  EXPECT_EQ(c.describe({"a"})[0].state, "Ongoing");
  EXPECT_EQ(c.describe({"b"})[0].error, error_code::transactional_id_not_found);
  EXPECT_EQ(c.describe({"c"})[0].error, error_code::transactional_id_not_found);
  EXPECT_EQ(c.transaction_count(), 1u);
}

TEST_F(load, records_that_do_not_decode_are_skipped) {
  const base::byte_buffer garbage = {0x00, 0x07, 0x01};
  auto fence = record("d", ts::prepare_epoch_fence, 1);
  auto& c = replay({
      {garbage, garbage},
      {encode_key("x"), garbage},
      fence,
      record("ok", ts::empty, 1),
  });
  EXPECT_EQ(c.transaction_count(), 1u);
  EXPECT_EQ(c.describe({"ok"})[0].state, "Empty");
}

TEST_F(load, ids_created_after_a_restart_keep_counting_producer_ids_from_the_allocator) {
  init("app");
  auto& c = replay(log.durable_records());
  answer<init_producer_id_result> other;
  c.init_producer_id({"other", default_timeout_ms, -1, -1}, other.callback());
  EXPECT_EQ(other.get().producer_id, 1001);
}

}  // namespace
}  // namespace spate::txn::test
