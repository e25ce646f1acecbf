// The transaction control APIs as raw requests through the dispatcher, across their versions:
// InitProducerId, AddPartitionsToTxn, EndTxn and their errors (with the older versions' codes
// for a fenced producer, txn/api_errors.h), and the admin views DescribeTransactions and
// ListTransactions. The data path of transactions is in transaction_apis_data_test.cc.
#include <set>

#include <gtest/gtest.h>

#include "broker/handlers/add_partitions_to_txn.h"
#include "broker/handlers/end_txn.h"
#include "broker/handlers/init_producer_id.h"
#include "broker/handlers/list_transactions.h"
#include "protocol/messages/list_transactions.h"
#include "transaction_apis_support.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

constexpr std::int32_t max_timeout_ms = 900000;  // transaction.max.timeout.ms, the default

class transaction_apis : public ::testing::Test {
 protected:
  transaction_apis() { services.create_topic("t", 2); }
  test_broker services;
};

// ---- InitProducerId ----

TEST_F(transaction_apis, init_without_transactional_id_hands_out_a_new_producer_id_at_epoch_0_every_time) {
  std::set<std::int64_t> ids;
  for (std::int16_t v = init_producer_id_handler::min_version; v <= init_producer_id_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    for (int i = 0; i < 2; ++i) {
      const auto resp = init_producer_id(services, std::nullopt, v);
      EXPECT_EQ(resp.error_code, 0);
      EXPECT_GE(resp.producer_id, 0);
      EXPECT_EQ(resp.producer_epoch, 0);
      ids.insert(resp.producer_id);
    }
  }
  EXPECT_EQ(ids.size(), 12u);
}

TEST_F(transaction_apis, init_with_transactional_id_keeps_the_producer_id_and_bumps_the_epoch) {
  std::set<std::int64_t> ids;
  for (std::int16_t v = init_producer_id_handler::min_version; v <= init_producer_id_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto first = init_producer_id(services, tx, v);
    ASSERT_EQ(first.error_code, 0);
    EXPECT_EQ(first.producer_epoch, 0);
    for (std::int16_t epoch = 1; epoch <= 2; ++epoch) {
      const auto again = init_producer_id(services, tx, v);
      EXPECT_EQ(again.error_code, 0);
      EXPECT_EQ(again.producer_id, first.producer_id);
      EXPECT_EQ(again.producer_epoch, epoch);
    }
    ids.insert(first.producer_id);
  }
  EXPECT_EQ(ids.size(), 6u) << "each transactional id has its own producer id";
  EXPECT_EQ(describe_transaction(services, "tx-5").transaction_state, "Empty");
}

TEST_F(transaction_apis, an_empty_transactional_id_is_an_invalid_request) {
  for (const std::int16_t v : {0, 4}) {
    const auto resp = init_producer_id(services, std::string(), v);
    EXPECT_EQ(resp.error_code, code(error_code::invalid_request)) << v;
    EXPECT_EQ(resp.producer_id, -1);
  }
}

TEST_F(transaction_apis, a_timeout_outside_one_to_the_maximum_is_invalid_transaction_timeout) {
  for (std::int16_t v = init_producer_id_handler::min_version; v <= init_producer_id_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    for (const std::int32_t timeout : {0, -1, max_timeout_ms + 1}) {
      const auto resp = init_producer_id(services, "tx", v, timeout);
      EXPECT_EQ(resp.error_code, code(error_code::invalid_transaction_timeout)) << timeout;
      EXPECT_EQ(resp.producer_id, -1);
      EXPECT_EQ(resp.producer_epoch, -1);
    }
  }
  EXPECT_EQ(describe_transaction(services, "tx").error_code, code(error_code::transactional_id_not_found))
      << "a refused first InitProducerId leaves nothing behind";
  EXPECT_EQ(init_producer_id(services, "tx", 4, max_timeout_ms).error_code, 0);
}

TEST_F(transaction_apis, kip360_reinit_with_the_current_epoch_bumps_it_and_a_retry_gets_the_same_answer) {
  for (std::int16_t v = 3; v <= init_producer_id_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto current = init_ok(services, tx, v);
    const auto bumped = init_producer_id(services, tx, v, 60000, current);
    ASSERT_EQ(bumped.error_code, 0);
    EXPECT_EQ(bumped.producer_id, current.id);
    EXPECT_EQ(bumped.producer_epoch, current.epoch + 1);
    // The answer was lost and the producer asks again with what it had: the same bump.
    const auto retried = init_producer_id(services, tx, v, 60000, current);
    EXPECT_EQ(retried.error_code, 0);
    EXPECT_EQ(retried.producer_id, current.id);
    EXPECT_EQ(retried.producer_epoch, current.epoch + 1);
  }
}

TEST_F(transaction_apis, kip360_reinit_with_a_stale_epoch_is_producer_fenced_from_v4_and_invalid_producer_epoch_at_v3) {
  for (std::int16_t v = 3; v <= init_producer_id_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto old = init_ok(services, tx, v);
    const auto current = init_ok(services, tx, v);  // epoch 1: `old` is fenced
    const auto expected = v >= 4 ? error_code::producer_fenced : error_code::invalid_producer_epoch;
    for (const auto stale : {old, producer_identity{current.id, 7}, producer_identity{current.id + 100, current.epoch}}) {
      const auto resp = init_producer_id(services, tx, v, 60000, stale);
      EXPECT_EQ(resp.error_code, code(expected)) << stale.id << "/" << stale.epoch;
      EXPECT_EQ(resp.producer_id, -1);
    }
    const auto d = describe_transaction(services, tx);
    EXPECT_EQ(d.producer_id, current.id);
    EXPECT_EQ(d.producer_epoch, current.epoch) << "a fenced re-init changes nothing";
  }
}

TEST_F(transaction_apis, kip360_producer_id_without_epoch_is_an_invalid_request) {
  const auto p = init_ok(services, "tx");
  EXPECT_EQ(init_producer_id(services, "tx", 4, 60000, {p.id, -1}).error_code, code(error_code::invalid_request));
  EXPECT_EQ(init_producer_id(services, "tx", 4, 60000, {-1, p.epoch}).error_code, code(error_code::invalid_request));
}

// ---- AddPartitionsToTxn ----

TEST_F(transaction_apis, add_partitions_with_an_unknown_partition_adds_none_and_does_not_attempt_the_others) {
  for (std::int16_t v = add_partitions_to_txn_handler::min_version; v <= add_partitions_to_txn_handler::max_version;
       ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto p = init_ok(services, tx);
    const auto errors = add_partitions(services, tx, p, {{"t", {0, 9}}, {"missing", {0}}}, v);
    EXPECT_EQ(errors, (std::vector<std::int16_t>{code(error_code::operation_not_attempted),
                                                 code(error_code::unknown_topic_or_partition),
                                                 code(error_code::unknown_topic_or_partition)}));
    EXPECT_EQ(describe_transaction(services, tx).transaction_state, "Empty");

    EXPECT_EQ(add_partitions(services, tx, p, {{"t", {1, 0}}}, v), (std::vector<std::int16_t>{0, 0}));
    const auto d = describe_transaction(services, tx);
    EXPECT_EQ(d.transaction_state, "Ongoing");
    ASSERT_EQ(d.topics.size(), 1u);
    EXPECT_EQ(d.topics[0].topic, "t");
    EXPECT_EQ(d.topics[0].partitions, (std::vector<std::int32_t>{0, 1}));
    // Adding a partition already in the transaction is answered at once.
    EXPECT_EQ(add_partitions(services, tx, p, {{"t", {0}}}, v), (std::vector<std::int16_t>{0}));
  }
}

TEST_F(transaction_apis, add_partitions_from_a_stale_epoch_is_producer_fenced_from_v2) {
  for (std::int16_t v = add_partitions_to_txn_handler::min_version; v <= add_partitions_to_txn_handler::max_version;
       ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto old = init_ok(services, tx);
    const auto current = init_ok(services, tx);
    const auto fenced = code(v >= 2 ? error_code::producer_fenced : error_code::invalid_producer_epoch);
    EXPECT_EQ(add_partitions(services, tx, old, {{"t", {0, 1}}}, v), (std::vector<std::int16_t>{fenced, fenced}));
    const auto mapping = code(error_code::invalid_producer_id_mapping);
    EXPECT_EQ(add_partitions(services, tx, {current.id + 1, current.epoch}, {{"t", {0}}}, v),
              (std::vector<std::int16_t>{mapping}));
    EXPECT_EQ(add_partitions(services, "never-initialised", current, {{"t", {0}}}, v),
              (std::vector<std::int16_t>{mapping}));
    EXPECT_EQ(describe_transaction(services, tx).transaction_state, "Empty");
  }
}

// ---- EndTxn ----

TEST_F(transaction_apis, end_txn_without_an_open_transaction_is_invalid_txn_state) {
  for (std::int16_t v = end_txn_handler::min_version; v <= end_txn_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto p = init_ok(services, tx);
    EXPECT_EQ(end_txn(services, tx, p, true, v), code(error_code::invalid_txn_state));
    EXPECT_EQ(end_txn(services, tx, p, false, v), code(error_code::invalid_txn_state));
  }
}

TEST_F(transaction_apis, end_txn_for_another_producer_id_is_invalid_producer_id_mapping) {
  for (std::int16_t v = end_txn_handler::min_version; v <= end_txn_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto p = init_ok(services, tx);
    ASSERT_EQ(add_partitions(services, tx, p, {{"t", {0}}}), (std::vector<std::int16_t>{0}));
    EXPECT_EQ(end_txn(services, tx, {p.id + 1000, p.epoch}, true, v), code(error_code::invalid_producer_id_mapping));
    EXPECT_EQ(end_txn(services, "never-initialised", p, true, v), code(error_code::invalid_producer_id_mapping));
    EXPECT_EQ(describe_transaction(services, tx).transaction_state, "Ongoing");
  }
}

TEST_F(transaction_apis, end_txn_from_a_stale_epoch_is_producer_fenced_from_v2_and_invalid_producer_epoch_before) {
  for (std::int16_t v = end_txn_handler::min_version; v <= end_txn_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto old = init_ok(services, tx);
    const auto current = init_ok(services, tx);
    ASSERT_EQ(add_partitions(services, tx, current, {{"t", {0}}}), (std::vector<std::int16_t>{0}));
    EXPECT_EQ(end_txn(services, tx, old, true, v),
              code(v >= 2 ? error_code::producer_fenced : error_code::invalid_producer_epoch));
    EXPECT_EQ(describe_transaction(services, tx).transaction_state, "Ongoing");
  }
}

TEST_F(transaction_apis, end_txn_repeated_after_completion_answers_none_and_the_other_outcome_invalid_txn_state) {
  const auto p = init_ok(services, "tx");
  ASSERT_EQ(add_partitions(services, "tx", p, {{"t", {0}}}), (std::vector<std::int16_t>{0}));
  ASSERT_EQ(end_txn(services, "tx", p, true), 0);
  ASSERT_TRUE(reaches_state(services, "tx", "CompleteCommit"));
  EXPECT_EQ(end_txn(services, "tx", p, true), 0);
  EXPECT_EQ(end_txn(services, "tx", p, false), code(error_code::invalid_txn_state));
}

// ---- DescribeTransactions / ListTransactions ----

TEST_F(transaction_apis, describe_transactions_follows_a_transaction_from_empty_to_complete_commit) {
  const std::int64_t now = services.group_clock().now_ms();
  const auto p = init_ok(services, "tx");
  auto d = describe_transaction(services, "tx");
  EXPECT_EQ(d.error_code, 0);
  EXPECT_EQ(d.transactional_id, "tx");
  EXPECT_EQ(d.transaction_state, "Empty");
  EXPECT_EQ(d.transaction_timeout_ms, 60000);
  EXPECT_EQ(d.transaction_start_time_ms, -1);
  EXPECT_EQ(d.producer_id, p.id);
  EXPECT_EQ(d.producer_epoch, p.epoch);
  EXPECT_TRUE(d.topics.empty());

  ASSERT_EQ(add_partitions(services, "tx", p, {{"t", {1}}}), (std::vector<std::int16_t>{0}));
  d = describe_transaction(services, "tx");
  EXPECT_EQ(d.transaction_state, "Ongoing");
  EXPECT_EQ(d.transaction_start_time_ms, now);
  ASSERT_EQ(d.topics.size(), 1u);
  EXPECT_EQ(d.topics[0].partitions, (std::vector<std::int32_t>{1}));

  ASSERT_EQ(end_txn(services, "tx", p, true), 0);
  ASSERT_TRUE(reaches_state(services, "tx", "CompleteCommit"));
  d = describe_transaction(services, "tx");
  EXPECT_EQ(d.producer_id, p.id);
  EXPECT_EQ(d.producer_epoch, p.epoch);
  EXPECT_TRUE(d.topics.empty()) << "a completed transaction has no partitions";

  // The next InitProducerId starts over in Empty.
  init_ok(services, "tx");
  EXPECT_EQ(describe_transaction(services, "tx").transaction_state, "Empty");
}

TEST_F(transaction_apis, describe_transactions_answers_each_id_in_order_with_its_own_error) {
  init_ok(services, "known");
  protocol::describe_transactions_request req;
  req.transactional_ids = {"unknown", "known", ""};
  const auto resp = call<protocol::describe_transactions_response>(services, req, 0);
  ASSERT_EQ(resp.transaction_states.size(), 3u);
  EXPECT_EQ(resp.transaction_states[0].transactional_id, "unknown");
  EXPECT_EQ(resp.transaction_states[0].error_code, code(error_code::transactional_id_not_found));
  EXPECT_EQ(resp.transaction_states[1].error_code, 0);
  EXPECT_EQ(resp.transaction_states[1].transaction_state, "Empty");
  EXPECT_EQ(resp.transaction_states[2].error_code, code(error_code::invalid_request));
}

protocol::list_transactions_response list_transactions(broker& services, std::vector<std::string> states,
                                                       std::vector<std::int64_t> producer_ids, std::int16_t version,
                                                       std::int64_t duration_ms = -1) {
  protocol::list_transactions_request req;
  req.state_filters = std::move(states);
  req.producer_id_filters = std::move(producer_ids);
  req.duration_filter = duration_ms;
  return call<protocol::list_transactions_response>(services, req, version);
}

std::vector<std::string> ids_of(const protocol::list_transactions_response& resp) {
  std::vector<std::string> out;
  for (const auto& t : resp.transaction_states) out.push_back(t.transactional_id);
  return out;
}

TEST_F(transaction_apis, list_transactions_filters_by_state_and_producer_and_reports_unknown_states) {
  const auto idle = init_ok(services, "a-idle");
  const auto busy = init_ok(services, "b-busy");
  ASSERT_EQ(add_partitions(services, "b-busy", busy, {{"t", {0}}}), (std::vector<std::int16_t>{0}));
  for (std::int16_t v = list_transactions_handler::min_version; v <= list_transactions_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    auto all = list_transactions(services, {}, {}, v);
    EXPECT_EQ(all.error_code, 0);
    EXPECT_EQ(ids_of(all), (std::vector<std::string>{"a-idle", "b-busy"}));
    EXPECT_EQ(all.transaction_states[0].producer_id, idle.id);
    EXPECT_EQ(all.transaction_states[0].transaction_state, "Empty");
    EXPECT_EQ(all.transaction_states[1].transaction_state, "Ongoing");

    EXPECT_EQ(ids_of(list_transactions(services, {"Ongoing"}, {}, v)), (std::vector<std::string>{"b-busy"}));
    EXPECT_EQ(ids_of(list_transactions(services, {}, {idle.id}, v)), (std::vector<std::string>{"a-idle"}));
    EXPECT_TRUE(ids_of(list_transactions(services, {"Ongoing"}, {idle.id}, v)).empty());

    const auto mixed = list_transactions(services, {"Ongoing", "Bogus"}, {}, v);
    EXPECT_EQ(mixed.error_code, 0);
    EXPECT_EQ(mixed.unknown_state_filters, (std::vector<std::string>{"Bogus"}));
    EXPECT_EQ(ids_of(mixed), (std::vector<std::string>{"b-busy"}));
    // Only unknown states: they match nothing (not "no filter").
    const auto unknown = list_transactions(services, {"ongoing"}, {}, v);
    EXPECT_EQ(unknown.unknown_state_filters, (std::vector<std::string>{"ongoing"}));
    EXPECT_TRUE(unknown.transaction_states.empty());
  }
}

TEST_F(transaction_apis, list_transactions_v1_keeps_transactions_open_for_longer_than_the_duration_filter) {
  const auto p = init_ok(services, "tx");
  ASSERT_EQ(add_partitions(services, "tx", p, {{"t", {0}}}), (std::vector<std::int16_t>{0}));
  services.group_clock().advance(5000);
  EXPECT_EQ(ids_of(list_transactions(services, {"Ongoing"}, {}, 1, 4999)), (std::vector<std::string>{"tx"}));
  EXPECT_TRUE(ids_of(list_transactions(services, {"Ongoing"}, {}, 1, 5000)).empty());
}

}  // namespace
}  // namespace spate::broker
