// DescribeTransactions and ListTransactions.
#include "coordinator_test_support.h"

namespace spate::txn::test {
namespace {

using protocol::error_code;

struct views : coordinator_fixture {
  void SetUp() override {
    coordinator_fixture::SetUp();
    init("a");  // 1000, Empty
    init("b");  // 1001
    add("b", 1001, 0, {{"t", 0}});  // Ongoing, started now
    init("c");  // 1002
    add("c", 1002, 0, {{"t", 0}});
    end("c", 1002, 0, true);  // CompleteCommit
  }

  std::vector<std::string> listed(const std::vector<std::string>& states, const std::vector<std::int64_t>& pids = {},
                                  std::int64_t duration = -1) {
    const auto r = coordinator->list(states, pids, duration);
    EXPECT_EQ(r.error, error_code::none);
    std::vector<std::string> out;
    for (const auto& t : r.transactions) out.push_back(t.transactional_id);
    return out;
  }
};

TEST_F(views, describe_reports_each_id_in_order) {
  const auto d = coordinator->describe({"b", "missing", "", "a"});
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].error, error_code::none);
  EXPECT_EQ(d[0].transactional_id, "b");
  EXPECT_EQ(d[0].state, "Ongoing");
  EXPECT_EQ(d[0].producer_id, 1001);
  EXPECT_EQ(d[0].producer_epoch, 0);
  EXPECT_EQ(d[0].transaction_timeout_ms, default_timeout_ms);
  EXPECT_EQ(d[0].transaction_start_time_ms, clock.now_ms());
  EXPECT_EQ(d[0].topics, (std::map<std::string, std::vector<std::int32_t>>{{"t", {0}}}));
  EXPECT_EQ(d[1].error, error_code::transactional_id_not_found);
  EXPECT_EQ(d[1].transactional_id, "missing");
  EXPECT_EQ(d[2].error, error_code::invalid_request);
  EXPECT_EQ(d[3].state, "Empty");
  EXPECT_EQ(d[3].transaction_start_time_ms, -1);
}

TEST_F(views, list_filters_by_state_and_producer_id) {
  const auto all = coordinator->list({}, {});
  ASSERT_EQ(all.transactions.size(), 3u);
  EXPECT_EQ(all.transactions[0], (transaction_listing{"a", 1000, "Empty"}));
  EXPECT_EQ(all.transactions[1], (transaction_listing{"b", 1001, "Ongoing"}));
  EXPECT_EQ(all.transactions[2], (transaction_listing{"c", 1002, "CompleteCommit"}));

  EXPECT_EQ(listed({"Ongoing"}), (std::vector<std::string>{"b"}));
  EXPECT_EQ(listed({"Empty", "CompleteCommit"}), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(listed({}, {1002, 5}), (std::vector<std::string>{"c"}));
  EXPECT_EQ(listed({"Ongoing"}, {1002}), (std::vector<std::string>{}));
}

TEST_F(views, unknown_state_filters_are_reported_and_match_nothing) {
  const auto r = coordinator->list({"ongoing", "Bogus"}, {});  // names are case-sensitive, as in Kafka
  EXPECT_EQ(r.unknown_state_filters, (std::vector<std::string>{"ongoing", "Bogus"}));
  EXPECT_TRUE(r.transactions.empty());
  const auto mixed = coordinator->list({"Bogus", "Empty"}, {});
  EXPECT_EQ(mixed.unknown_state_filters, (std::vector<std::string>{"Bogus"}));
  ASSERT_EQ(mixed.transactions.size(), 1u);
  EXPECT_EQ(mixed.transactions[0].transactional_id, "a");
}

TEST_F(views, duration_filter_keeps_transactions_running_longer_than_it) {
  clock.advance(5000);
  // "b" started 5000 ms ago; "c" too (its start stays after completion); "a" never started
  // (start -1), which Kafka's arithmetic counts as running for ever.
  EXPECT_EQ(listed({}, {}, 4999), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(listed({"Ongoing"}, {}, 5000), (std::vector<std::string>{}));
  EXPECT_EQ(listed({"Ongoing"}, {}, 4999), (std::vector<std::string>{"b"}));
}

TEST_F(views, answer_load_in_progress_before_loading_ends_and_not_available_after_shutdown) {
  transaction_coordinator loading(config, log, markers, ids, clock);
  EXPECT_EQ(loading.list({}, {}).error, error_code::coordinator_load_in_progress);
  EXPECT_EQ(loading.describe({"a"})[0].error, error_code::coordinator_load_in_progress);
  coordinator->shutdown();
  EXPECT_EQ(coordinator->list({}, {}).error, error_code::coordinator_not_available);
  EXPECT_EQ(coordinator->describe({"a"})[0].error, error_code::coordinator_not_available);
}

TEST(transaction_status_names, match_kafkas_names_and_ids) {
  const std::vector<std::pair<ts, std::string_view>> expected = {
      {ts::empty, "Empty"},
      {ts::ongoing, "Ongoing"},
      {ts::prepare_commit, "PrepareCommit"},
      {ts::prepare_abort, "PrepareAbort"},
      {ts::complete_commit, "CompleteCommit"},
      {ts::complete_abort, "CompleteAbort"},
      {ts::dead, "Dead"},
      {ts::prepare_epoch_fence, "PrepareEpochFence"},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto [status, name] = expected[i];
    EXPECT_EQ(static_cast<int>(status), static_cast<int>(i));
    EXPECT_EQ(status_name(status), name);
    EXPECT_EQ(status_from_name(name), status);
    EXPECT_EQ(status_from_id(static_cast<std::int8_t>(i)), status);
  }
  EXPECT_FALSE(status_from_id(8));
  EXPECT_FALSE(status_from_id(-1));
  EXPECT_FALSE(status_from_name("empty"));
}

}  // namespace
}  // namespace spate::txn::test
