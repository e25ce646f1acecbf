// AddPartitionsToTxn and EndTxn: validation, durability before answers, markers and completion.
#include "coordinator_test_support.h"

namespace spate::txn::test {
namespace {

using protocol::error_code;

struct transactions : coordinator_fixture {
  void SetUp() override {
    coordinator_fixture::SetUp();
    ASSERT_EQ(init("app").error, error_code::none);  // producer 1000, epoch 0
  }
};

TEST_F(transactions, add_partitions_starts_the_transaction_once_its_record_is_durable) {
  log.set_mode(fake_transaction_log::mode::hold);
  clock.advance(10);
  auto a = add_async("app", 1000, 0, {{"t", 1}, {"t", 0}, {"u", 0}});
  EXPECT_FALSE(a.ready());
  EXPECT_EQ(state_of("app"), "Empty");
  const auto written = log.last_value();
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, ts::ongoing);
  EXPECT_EQ(written->partitions, (std::set<topic_partition>{{"t", 0}, {"t", 1}, {"u", 0}}));
  EXPECT_EQ(written->start_timestamp_ms, clock.now_ms());

  log.release_one();
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a.get().error, error_code::none);
  EXPECT_EQ(a.get().partition_errors, std::vector<error_code>(3, error_code::none));
  const auto d = describe_one("app");
  EXPECT_EQ(d.state, "Ongoing");
  EXPECT_EQ(d.transaction_start_time_ms, clock.now_ms());
  EXPECT_EQ(d.topics, (std::map<std::string, std::vector<std::int32_t>>{{"t", {0, 1}}, {"u", {0}}}));
}

TEST_F(transactions, partitions_already_in_the_transaction_are_answered_at_once) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}, {"t", 1}}), error_code::none);
  const auto before = log.batch_count();
  log.set_mode(fake_transaction_log::mode::hold);
  EXPECT_EQ(add("app", 1000, 0, {{"t", 1}}), error_code::none);
  EXPECT_EQ(log.batch_count(), before);
  // A new partition is written, keeping the start time of the transaction.
  const auto start = describe_one("app").transaction_start_time_ms;
  clock.advance(500);
  auto more = add_async("app", 1000, 0, {{"t", 2}});
  EXPECT_FALSE(more.ready());
  EXPECT_EQ(log.last_value()->start_timestamp_ms, start);
  EXPECT_EQ(log.last_value()->partitions.size(), 3u);
  // Meanwhile another AddPartitions must wait.
  EXPECT_EQ(add("app", 1000, 0, {{"t", 3}}), error_code::concurrent_transactions);
  log.release_one();
  EXPECT_EQ(more.get().error, error_code::none);
}

TEST_F(transactions, add_partitions_validates_id_producer_and_epoch) {
  EXPECT_EQ(add("", 1000, 0, {{"t", 0}}), error_code::invalid_request);
  EXPECT_EQ(add("nobody", 1000, 0, {{"t", 0}}), error_code::invalid_producer_id_mapping);
  EXPECT_EQ(add("app", 999, 0, {{"t", 0}}), error_code::invalid_producer_id_mapping);
  EXPECT_EQ(add("app", 1000, 1, {{"t", 0}}), error_code::producer_fenced);
  EXPECT_EQ(add("app", 1000, -1, {{"t", 0}}), error_code::producer_fenced);
  EXPECT_EQ(log.batch_count(), 1u);  // only InitProducerId's record
}

TEST_F(transactions, a_failed_add_partitions_record_leaves_the_state_as_it_was) {
  log.set_mode(fake_transaction_log::mode::fail);
  EXPECT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::not_coordinator);
  EXPECT_EQ(state_of("app"), "Empty");
  log.set_mode(fake_transaction_log::mode::durable);
  EXPECT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
}

TEST_F(transactions, commit_is_answered_when_prepare_is_durable_then_markers_then_complete) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}, {"u", 3}}), error_code::none);
  log.set_mode(fake_transaction_log::mode::hold);
  markers.set_auto_succeed(false);

  auto a = end_async("app", 1000, 0, true);
  EXPECT_FALSE(a.ready());
  EXPECT_EQ(log.last_value()->status, ts::prepare_commit);
  EXPECT_TRUE(markers.requests().empty());  // no marker before the decision is durable

  log.release_one();
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a.get(), error_code::none);
  EXPECT_EQ(state_of("app"), "PrepareCommit");
  ASSERT_EQ(markers.requests().size(), 1u);
  const auto req = markers.requests()[0];
  EXPECT_TRUE(req.commit);
  EXPECT_EQ(req.producer_id, 1000);
  EXPECT_EQ(req.producer_epoch, 0);
  EXPECT_EQ(req.coordinator_epoch, config.coordinator_epoch);
  EXPECT_EQ(req.partitions, (std::vector<topic_partition>{{"t", 0}, {"u", 3}}));
  EXPECT_EQ(log.held(), 0u);

  markers.succeed();
  ASSERT_EQ(log.held(), 1u);
  const auto complete = log.last_value();
  EXPECT_EQ(complete->status, ts::complete_commit);
  EXPECT_TRUE(complete->partitions.empty());
  log.release_one();
  EXPECT_EQ(state_of("app"), "CompleteCommit");
  EXPECT_TRUE(describe_one("app").topics.empty());
}

TEST_F(transactions, abort_goes_through_prepare_abort_and_complete_abort) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  EXPECT_EQ(end("app", 1000, 0, false), error_code::none);
  EXPECT_EQ(log.statuses(), (std::vector<ts>{ts::empty, ts::ongoing, ts::prepare_abort, ts::complete_abort}));
  ASSERT_EQ(markers.requests().size(), 1u);
  EXPECT_FALSE(markers.requests()[0].commit);
  EXPECT_EQ(state_of("app"), "CompleteAbort");
}

TEST_F(transactions, end_transaction_retries_and_contradictions_get_kafkas_answers) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  markers.set_auto_succeed(false);
  ASSERT_EQ(end("app", 1000, 0, true), error_code::none);
  // PrepareCommit: the same outcome is still in progress, the other is refused.
  EXPECT_EQ(end("app", 1000, 0, true), error_code::concurrent_transactions);
  EXPECT_EQ(end("app", 1000, 0, false), error_code::invalid_txn_state);
  EXPECT_EQ(add("app", 1000, 0, {{"t", 1}}), error_code::concurrent_transactions);
  markers.succeed();
  // CompleteCommit: a retry of the commit succeeds, an abort is refused.
  EXPECT_EQ(end("app", 1000, 0, true), error_code::none);
  EXPECT_EQ(end("app", 1000, 0, false), error_code::invalid_txn_state);

  // The same for an abort.
  markers.set_auto_succeed(true);
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  markers.set_auto_succeed(false);
  ASSERT_EQ(end("app", 1000, 0, false), error_code::none);
  EXPECT_EQ(end("app", 1000, 0, false), error_code::concurrent_transactions);
  EXPECT_EQ(end("app", 1000, 0, true), error_code::invalid_txn_state);
  markers.succeed();
  EXPECT_EQ(end("app", 1000, 0, false), error_code::none);
  EXPECT_EQ(end("app", 1000, 0, true), error_code::invalid_txn_state);
}

TEST_F(transactions, end_transaction_validates_state_id_producer_and_epoch) {
  EXPECT_EQ(end("app", 1000, 0, true), error_code::invalid_txn_state);  // Empty
  EXPECT_EQ(end("", 1000, 0, true), error_code::invalid_request);
  EXPECT_EQ(end("nobody", 1000, 0, true), error_code::invalid_producer_id_mapping);
  EXPECT_EQ(end("app", 1, 0, true), error_code::invalid_producer_id_mapping);
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  EXPECT_EQ(end("app", 1000, 1, true), error_code::producer_fenced);
  log.set_mode(fake_transaction_log::mode::hold);
  auto pending = add_async("app", 1000, 0, {{"t", 1}});
  EXPECT_EQ(end("app", 1000, 0, true), error_code::concurrent_transactions);
  log.release_all();
  EXPECT_EQ(pending.get().error, error_code::none);
}

TEST_F(transactions, a_failed_prepare_record_answers_the_error_and_writes_no_marker) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  log.set_mode(fake_transaction_log::mode::fail, errc::shutting_down);
  EXPECT_EQ(end("app", 1000, 0, true), error_code::not_coordinator);
  EXPECT_TRUE(markers.requests().empty());
  EXPECT_EQ(state_of("app"), "Ongoing");
  log.set_mode(fake_transaction_log::mode::durable);
  EXPECT_EQ(end("app", 1000, 0, true), error_code::none);
  EXPECT_EQ(state_of("app"), "CompleteCommit");
}

TEST_F(transactions, failed_markers_are_retried_after_the_backoff_until_written) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}, {"t", 1}, {"gone", 0}}), error_code::none);
  markers.set_auto_succeed(false);
  ASSERT_EQ(end("app", 1000, 0, true), error_code::none);
  // The request lists the partitions in order; gone-0's topic was deleted, t-0 is written, t-1
  // failed.
  ASSERT_EQ(markers.requests()[0].partitions, (std::vector<topic_partition>{{"gone", 0}, {"t", 0}, {"t", 1}}));
  markers.answer({errc::unknown_topic_or_partition, errc::success, errc::io_error});
  EXPECT_EQ(state_of("app"), "PrepareCommit");
  EXPECT_EQ(coordinator->next_deadline(), clock.now_ms() + config.marker_retry_backoff_ms);
  advance(config.marker_retry_backoff_ms - 1);
  EXPECT_EQ(markers.requests().size(), 1u);  // not yet
  advance(1);
  ASSERT_EQ(markers.requests().size(), 2u);
  EXPECT_EQ(markers.requests()[1].partitions, (std::vector<topic_partition>{{"t", 1}}));
  // Failing again and again is never given up.
  markers.answer({errc::log_failed});
  advance(config.marker_retry_backoff_ms);
  ASSERT_EQ(markers.requests().size(), 3u);
  markers.answer({errc::success});
  EXPECT_EQ(state_of("app"), "CompleteCommit");
  EXPECT_EQ(log.last_value()->status, ts::complete_commit);
}

TEST_F(transactions, a_partition_with_a_newer_producer_epoch_is_settled) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  markers.set_auto_succeed(false);
  ASSERT_EQ(end("app", 1000, 0, false), error_code::none);
  markers.answer({errc::invalid_producer_epoch});
  EXPECT_EQ(state_of("app"), "CompleteAbort");
}

TEST_F(transactions, a_transaction_whose_partitions_are_all_gone_still_completes) {
  ASSERT_EQ(add("app", 1000, 0, {}), error_code::none);  // Kafka moves to Ongoing even so
  EXPECT_EQ(state_of("app"), "Ongoing");
  EXPECT_EQ(end("app", 1000, 0, true), error_code::none);
  EXPECT_TRUE(markers.requests().empty());  // nothing to mark
  EXPECT_EQ(state_of("app"), "CompleteCommit");
}

TEST_F(transactions, a_failed_complete_record_is_appended_again_after_the_backoff) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  markers.set_auto_succeed(false);
  ASSERT_EQ(end("app", 1000, 0, true), error_code::none);
  log.set_mode(fake_transaction_log::mode::fail);
  markers.succeed();
  EXPECT_EQ(log.last_value()->status, ts::complete_commit);
  EXPECT_EQ(state_of("app"), "PrepareCommit");
  const auto batches = log.batch_count();
  log.set_mode(fake_transaction_log::mode::durable);
  advance(config.marker_retry_backoff_ms);
  EXPECT_EQ(log.batch_count(), batches + 1);
  EXPECT_EQ(state_of("app"), "CompleteCommit");
  EXPECT_EQ(markers.requests().size(), 1u);  // the markers were not written again
}

TEST_F(transactions, a_new_transaction_after_completion_starts_afresh) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  ASSERT_EQ(end("app", 1000, 0, true), error_code::none);
  clock.advance(1000);
  ASSERT_EQ(add("app", 1000, 0, {{"u", 0}}), error_code::none);
  const auto d = describe_one("app");
  EXPECT_EQ(d.state, "Ongoing");
  EXPECT_EQ(d.transaction_start_time_ms, clock.now_ms());
  EXPECT_EQ(d.topics, (std::map<std::string, std::vector<std::int32_t>>{{"u", {0}}}));
}

TEST_F(transactions, shutdown_stops_marker_retries) {
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  markers.set_auto_succeed(false);
  ASSERT_EQ(end("app", 1000, 0, true), error_code::none);
  markers.answer({errc::io_error});
  coordinator->shutdown();
  advance(config.marker_retry_backoff_ms * 10);
  EXPECT_EQ(markers.requests().size(), 1u);
}

}  // namespace
}  // namespace spate::txn::test
