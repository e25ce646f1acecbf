// InitProducerId: fresh ids, epoch bumps, KIP-360 re-initialisation, fencing, validation.
#include "coordinator_test_support.h"

namespace spate::txn::test {
namespace {

using protocol::error_code;

struct init_producer_id : coordinator_fixture {};

TEST_F(init_producer_id, without_transactional_id_hands_out_a_fresh_id_at_epoch_0_and_writes_nothing) {
  const auto first = init(std::nullopt);
  const auto second = init(std::nullopt);
  EXPECT_EQ(first, (init_producer_id_result{error_code::none, 1000, 0}));
  EXPECT_EQ(second, (init_producer_id_result{error_code::none, 1001, 0}));
  EXPECT_EQ(log.batch_count(), 0u);
  EXPECT_EQ(coordinator->transaction_count(), 0u);
}

TEST_F(init_producer_id, new_id_is_answered_only_once_its_empty_record_is_durable) {
  log.set_mode(fake_transaction_log::mode::hold);
  auto a = init_async("app");
  EXPECT_FALSE(a.ready());
  ASSERT_EQ(log.held(), 1u);
  const auto written = log.last_value();
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, ts::empty);
  EXPECT_EQ(written->producer_id, 1000);
  EXPECT_EQ(written->producer_epoch, 0);
  EXPECT_EQ(written->timeout_ms, default_timeout_ms);
  EXPECT_EQ(written->start_timestamp_ms, -1);
  EXPECT_TRUE(written->partitions.empty());
  EXPECT_EQ(log.last_batch().partition, partition_for_transactional_id("app", log.partition_count()));
  // Not visible before it is durable.
  EXPECT_EQ(describe_one("app").error, error_code::transactional_id_not_found);

  log.release_one();
  ASSERT_TRUE(a.ready());
  EXPECT_EQ(a.get(), (init_producer_id_result{error_code::none, 1000, 0}));
  EXPECT_EQ(state_of("app"), "Empty");
}

TEST_F(init_producer_id, concurrent_init_while_the_record_is_pending_is_told_to_retry) {
  log.set_mode(fake_transaction_log::mode::hold);
  auto first = init_async("app");
  EXPECT_EQ(init("app").error, error_code::concurrent_transactions);
  log.release_all();
  EXPECT_EQ(first.get().error, error_code::none);
}

TEST_F(init_producer_id, a_new_id_whose_first_record_fails_is_forgotten) {
  log.set_mode(fake_transaction_log::mode::fail, errc::io_error);
  EXPECT_EQ(init("app").error, error_code::not_coordinator);
  EXPECT_EQ(coordinator->transaction_count(), 0u);
  log.set_mode(fake_transaction_log::mode::fail, errc::unknown_topic_or_partition);
  EXPECT_EQ(init("app").error, error_code::coordinator_not_available);
  log.set_mode(fake_transaction_log::mode::fail, errc::message_too_large);
  EXPECT_EQ(init("app").error, error_code::unknown_server_error);

  log.set_mode(fake_transaction_log::mode::durable);
  const auto ok = init("app");
  EXPECT_EQ(ok.error, error_code::none);
  EXPECT_EQ(ok.producer_epoch, 0);
}

TEST_F(init_producer_id, rejects_timeouts_outside_1_to_the_maximum) {
  EXPECT_EQ(init("app", 0).error, error_code::invalid_transaction_timeout);
  EXPECT_EQ(init("app", -5).error, error_code::invalid_transaction_timeout);
  EXPECT_EQ(init("app", config.transaction_max_timeout_ms + 1).error, error_code::invalid_transaction_timeout);
  EXPECT_EQ(log.batch_count(), 0u);
  EXPECT_EQ(init("app", config.transaction_max_timeout_ms).error, error_code::none);
  EXPECT_EQ(init("other", 1).error, error_code::none);
}

TEST_F(init_producer_id, rejects_an_empty_id_and_half_a_producer_id_and_epoch) {
  EXPECT_EQ(init("").error, error_code::invalid_request);
  EXPECT_EQ(init("app", default_timeout_ms, 1000, -1).error, error_code::invalid_request);
  EXPECT_EQ(init("app", default_timeout_ms, -1, 0).error, error_code::invalid_request);
  EXPECT_EQ(init(std::string(max_record_string_bytes + 1, 'x')).error, error_code::invalid_request);
  EXPECT_EQ(log.batch_count(), 0u);
}

TEST_F(init_producer_id, again_bumps_the_epoch_of_the_same_producer_id_and_takes_the_new_timeout) {
  init("app");
  const auto again = init("app", 5000);
  EXPECT_EQ(again, (init_producer_id_result{error_code::none, 1000, 1}));
  EXPECT_EQ(log.last_value()->producer_epoch, 1);
  EXPECT_EQ(describe_one("app").transaction_timeout_ms, 5000);
}

TEST_F(init_producer_id, after_a_completed_transaction_bumps_the_epoch) {
  init("app");
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  ASSERT_EQ(end("app", 1000, 0, true), error_code::none);
  ASSERT_EQ(state_of("app"), "CompleteCommit");
  const auto again = init("app");
  EXPECT_EQ(again, (init_producer_id_result{error_code::none, 1000, 1}));
  EXPECT_EQ(state_of("app"), "Empty");
  EXPECT_EQ(describe_one("app").transaction_start_time_ms, -1);
}

TEST_F(init_producer_id, while_a_transaction_prepares_is_told_to_retry) {
  markers.set_auto_succeed(false);
  init("app");
  add("app", 1000, 0, {{"t", 0}});
  ASSERT_EQ(end("app", 1000, 0, true), error_code::none);
  ASSERT_EQ(state_of("app"), "PrepareCommit");
  EXPECT_EQ(init("app").error, error_code::concurrent_transactions);
  markers.succeed();
  EXPECT_EQ(state_of("app"), "CompleteCommit");
  EXPECT_EQ(init("app").producer_epoch, 1);
}

TEST_F(init_producer_id, while_ongoing_fences_the_producer_and_aborts_its_transaction) {
  init("app");
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}, {"t", 1}}), error_code::none);
  log.set_mode(fake_transaction_log::mode::hold);
  markers.set_auto_succeed(false);

  auto fence = init_async("app");
  // The bumped epoch holds at once: the old producer is fenced before anything is durable.
  EXPECT_EQ(add("app", 1000, 0, {{"t", 2}}), error_code::producer_fenced);
  EXPECT_EQ(end("app", 1000, 0, true), error_code::producer_fenced);
  const auto prepare = log.last_value();
  ASSERT_TRUE(prepare);
  EXPECT_EQ(prepare->status, ts::prepare_abort);
  EXPECT_EQ(prepare->producer_epoch, 1);
  EXPECT_FALSE(fence.ready());

  log.release_one();
  ASSERT_TRUE(fence.ready());
  EXPECT_EQ(fence.get().error, error_code::concurrent_transactions);
  ASSERT_EQ(markers.requests().size(), 1u);
  const auto req = markers.requests()[0];
  EXPECT_FALSE(req.commit);
  EXPECT_EQ(req.producer_id, 1000);
  EXPECT_EQ(req.producer_epoch, 1);
  EXPECT_EQ(req.partitions, (std::vector<topic_partition>{{"t", 0}, {"t", 1}}));
  EXPECT_EQ(init("app").error, error_code::concurrent_transactions);  // still aborting

  markers.succeed();
  ASSERT_EQ(log.held(), 1u);
  EXPECT_EQ(log.last_value()->status, ts::complete_abort);
  log.release_one();
  EXPECT_EQ(state_of("app"), "CompleteAbort");

  // The client's retry gets the next epoch.
  log.set_mode(fake_transaction_log::mode::durable);
  EXPECT_EQ(init("app"), (init_producer_id_result{error_code::none, 1000, 2}));
}

TEST_F(init_producer_id, a_failed_fence_does_not_bump_the_epoch_twice) {
  init("app");
  add("app", 1000, 0, {{"t", 0}});
  log.set_mode(fake_transaction_log::mode::fail);
  EXPECT_EQ(init("app").error, error_code::not_coordinator);
  EXPECT_EQ(describe_one("app").producer_epoch, 1);
  EXPECT_EQ(state_of("app"), "Ongoing");
  EXPECT_EQ(init("app").error, error_code::not_coordinator);
  EXPECT_EQ(describe_one("app").producer_epoch, 1);  // not 2: epoch 1 never reached the log

  log.set_mode(fake_transaction_log::mode::durable);
  EXPECT_EQ(init("app").error, error_code::concurrent_transactions);
  EXPECT_EQ(log.last_value()->producer_epoch, 1);
  EXPECT_EQ(state_of("app"), "CompleteAbort");
  EXPECT_EQ(init("app").producer_epoch, 2);
}

// An id whose epoch is exhausted (32766, the last one a client may hold).
std::vector<transaction_record> exhausted_id(std::int64_t producer_id, std::int16_t epoch) {
  transaction_value v;
  v.producer_id = producer_id;
  v.producer_epoch = epoch;
  v.timeout_ms = default_timeout_ms;
  v.status = ts::complete_commit;
  v.last_update_timestamp_ms = 1'700'000'000'000;
  v.start_timestamp_ms = 1'699'999'999'000;
  return {{encode_key("app"), encode_value(v)}};
}

TEST_F(init_producer_id, gets_a_new_producer_id_when_the_epoch_is_exhausted) {
  start(exhausted_id(7, 32766));
  EXPECT_EQ(init("app"), (init_producer_id_result{error_code::none, 1000, 0}));
  EXPECT_EQ(log.last_value()->producer_id, 1000);
}

TEST_F(init_producer_id, epoch_32765_still_bumps_to_32766_then_rotates) {
  start(exhausted_id(7, 32765));
  EXPECT_EQ(init("app"), (init_producer_id_result{error_code::none, 7, 32766}));
  EXPECT_EQ(init("app"), (init_producer_id_result{error_code::none, 1000, 0}));
}

TEST_F(init_producer_id, kip_360_bump_with_the_current_epoch_and_its_retry_get_the_same_answer) {
  init("app");
  init("app");  // epoch 1
  const auto bumped = init("app", default_timeout_ms, 1000, 1);
  EXPECT_EQ(bumped, (init_producer_id_result{error_code::none, 1000, 2}));
  // The answer was lost; the producer retries with the epoch it had.
  const auto retried = init("app", default_timeout_ms, 1000, 1);
  EXPECT_EQ(retried, bumped);
  // Another producer's stale epoch, or another producer id, is fenced.
  EXPECT_EQ(init("app", default_timeout_ms, 1000, 0).error, error_code::producer_fenced);
  EXPECT_EQ(init("app", default_timeout_ms, 999, 2).error, error_code::producer_fenced);
  // A plain InitProducerId (a new producer instance) forgets the last epoch: the retry is fenced.
  EXPECT_EQ(init("app").producer_epoch, 3);
  EXPECT_EQ(init("app", default_timeout_ms, 1000, 1).error, error_code::producer_fenced);
}

TEST_F(init_producer_id, kip_360_rotation_and_its_retry_get_the_same_new_producer_id) {
  start(exhausted_id(7, 32766));
  const auto rotated = init("app", default_timeout_ms, 7, 32766);
  EXPECT_EQ(rotated, (init_producer_id_result{error_code::none, 1000, 0}));
  const auto retried = init("app", default_timeout_ms, 7, 32766);
  EXPECT_EQ(retried, rotated);
}

TEST_F(init_producer_id, kip_360_for_an_id_the_coordinator_no_longer_knows_starts_afresh) {
  const auto fresh = init("app", default_timeout_ms, 55, 3);
  EXPECT_EQ(fresh, (init_producer_id_result{error_code::none, 1000, 0}));
}

TEST_F(init_producer_id, without_a_ready_producer_id_block_is_told_to_retry) {
  ids.set_ready(false);
  EXPECT_EQ(init(std::nullopt).error, error_code::coordinator_load_in_progress);
  EXPECT_EQ(init("app").error, error_code::coordinator_load_in_progress);
  EXPECT_EQ(coordinator->transaction_count(), 0u);
  ids.set_ready(true);
  EXPECT_EQ(init("app").error, error_code::none);
}

TEST_F(init_producer_id, waits_for_loading_and_refuses_after_shutdown) {
  coordinator = std::make_unique<transaction_coordinator>(config, log, markers, ids, clock);
  EXPECT_EQ(init("app").error, error_code::coordinator_load_in_progress);
  EXPECT_EQ(init(std::nullopt).error, error_code::coordinator_load_in_progress);
  coordinator->resume_after_load();
  EXPECT_EQ(init("app").error, error_code::none);
  coordinator->shutdown();
  EXPECT_EQ(init("app").error, error_code::coordinator_not_available);
  EXPECT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::coordinator_not_available);
  EXPECT_EQ(end("app", 1000, 0, true), error_code::coordinator_not_available);
}

}  // namespace
}  // namespace spate::txn::test
