// Time: transaction timeouts (abort with an epoch bump) and transactional id expiry.
#include "coordinator_test_support.h"

namespace spate::txn::test {
namespace {

using protocol::error_code;

struct timeouts : coordinator_fixture {};

TEST_F(timeouts, an_ongoing_transaction_past_its_timeout_is_aborted_and_its_producer_fenced) {
  ASSERT_EQ(init("app", 10000).error, error_code::none);
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  const auto start = clock.now_ms();
  EXPECT_EQ(coordinator->next_deadline(), start + 10000 + 1);

  advance(10000);  // exactly the timeout: Kafka aborts only past it
  EXPECT_EQ(state_of("app"), "Ongoing");
  advance(1);
  EXPECT_EQ(state_of("app"), "CompleteAbort");
  ASSERT_EQ(markers.requests().size(), 1u);
  EXPECT_FALSE(markers.requests()[0].commit);
  EXPECT_EQ(markers.requests()[0].producer_epoch, 1);
  // The producer learns it was fenced on its next request.
  EXPECT_EQ(add("app", 1000, 0, {{"t", 1}}), error_code::producer_fenced);
  EXPECT_EQ(end("app", 1000, 0, true), error_code::producer_fenced);
  // Re-initialising gets the next epoch.
  EXPECT_EQ(init("app", 10000).producer_epoch, 2);
}

TEST_F(timeouts, a_transaction_with_a_pending_change_is_not_aborted_until_it_settles) {
  ASSERT_EQ(init("app", 1000).error, error_code::none);
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  log.set_mode(fake_transaction_log::mode::hold);
  auto more = add_async("app", 1000, 0, {{"t", 1}});
  advance(5000);
  EXPECT_EQ(log.held(), 1u);  // nothing else appended meanwhile
  log.set_mode(fake_transaction_log::mode::durable);
  log.release_all();
  EXPECT_EQ(more.get().error, error_code::none);
  coordinator->expire_due();
  EXPECT_EQ(state_of("app"), "CompleteAbort");
}

TEST_F(timeouts, a_new_deadline_wakes_the_timer) {
  int wakeups = 0;
  coordinator->set_wakeup([&] { ++wakeups; });
  ASSERT_EQ(init("app", 1000).error, error_code::none);
  const int before = wakeups;
  ASSERT_EQ(add("app", 1000, 0, {{"t", 0}}), error_code::none);
  EXPECT_GT(wakeups, before);
  EXPECT_EQ(coordinator->next_deadline(), clock.now_ms() + 1000 + 1);
}

TEST_F(timeouts, idle_ids_expire_with_a_tombstone_at_the_next_check) {
  config.transactional_id_expiration_ms = 50000;
  config.expired_id_check_interval_ms = 10000;
  start();
  ASSERT_EQ(init("idle").error, error_code::none);
  ASSERT_EQ(init("done").error, error_code::none);
  ASSERT_EQ(add("done", 1001, 0, {{"t", 0}}), error_code::none);
  ASSERT_EQ(end("done", 1001, 0, true), error_code::none);
  ASSERT_EQ(init("busy").error, error_code::none);
  ASSERT_EQ(add("busy", 1002, 0, {{"t", 0}}), error_code::none);

  // Before the expiration time nothing goes.
  advance(40000);
  EXPECT_EQ(coordinator->transaction_count(), 3u);
  // Past "busy"'s timeout (60 s) it is aborted, which counts as an update: it expires 50 s
  // after that, not now.
  advance(20001);
  EXPECT_EQ(state_of("busy"), "CompleteAbort");
  EXPECT_EQ(state_of("idle"), "");
  EXPECT_EQ(state_of("done"), "");
  EXPECT_EQ(coordinator->transaction_count(), 1u);
  // The tombstones: null values under the ids' keys.
  bool idle_tombstone = false;
  for (const auto& r : log.durable_records()) {
    if (decode_key(r.key) == "idle" && !r.value) idle_tombstone = true;
  }
  EXPECT_TRUE(idle_tombstone);
  // A forgotten id starts again as new.
  EXPECT_EQ(add("idle", 1000, 0, {{"t", 0}}), error_code::invalid_producer_id_mapping);
  advance(60000);
  EXPECT_EQ(state_of("busy"), "");
}

TEST_F(timeouts, a_failed_tombstone_keeps_the_id_until_the_next_check) {
  config.transactional_id_expiration_ms = 1000;
  config.expired_id_check_interval_ms = 5000;
  start();
  ASSERT_EQ(init("idle").error, error_code::none);
  log.set_mode(fake_transaction_log::mode::fail);
  advance(5000);
  EXPECT_EQ(state_of("idle"), "Empty");
  log.set_mode(fake_transaction_log::mode::durable);
  advance(5000);
  EXPECT_EQ(state_of("idle"), "");
}

TEST_F(timeouts, an_id_is_not_expired_while_its_tombstone_is_pending_then_disappears) {
  config.transactional_id_expiration_ms = 1000;
  config.expired_id_check_interval_ms = 5000;
  start();
  ASSERT_EQ(init("idle").error, error_code::none);
  log.set_mode(fake_transaction_log::mode::hold);
  advance(5000);
  ASSERT_EQ(log.held(), 1u);
  EXPECT_FALSE(log.last_batch().records.at(0).value);
  // Meanwhile the id is on its way out: not described, and InitProducerId must retry.
  EXPECT_EQ(describe_one("idle").error, error_code::transactional_id_not_found);
  EXPECT_EQ(init("idle").error, error_code::concurrent_transactions);
  log.release_one();
  EXPECT_EQ(coordinator->transaction_count(), 0u);
}

}  // namespace
}  // namespace spate::txn::test
