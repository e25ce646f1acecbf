// Offsets committed inside a transaction as raw requests: AddOffsetsToTxn, TxnOffsetCommit and
// EndTxn across their versions, seen through OffsetFetch (with and without require_stable).
// The commit marker lands in the real __consumer_offsets log of the test broker, whose
// txn_markers then settle the group coordinator's pending offsets.
#include <gtest/gtest.h>

#include "broker/handlers/add_offsets_to_txn.h"
#include "broker/handlers/txn_offset_commit.h"
#include "group/offsets_topic.h"
#include "model/topic_name.h"
#include "protocol/messages/add_offsets_to_txn.h"
#include "protocol/messages/offset_fetch.h"
#include "protocol/messages/txn_offset_commit.h"
#include "transaction_apis_support.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

// What OffsetFetch answered for one partition.
struct fetched {
  std::int64_t offset = -1;
  std::optional<std::string> metadata;
  std::int16_t error = 0;
};

class transaction_apis_offsets : public ::testing::Test {
 protected:
  transaction_apis_offsets() {
    services.create_topic("t", 2);
    // As many partitions as the in-memory offsets log, so markers and commits agree on placement.
    services.create_topic(std::string(model::consumer_offsets_topic), services.offsets().partition_count());
  }

  std::int16_t add_offsets(const std::string& tx, producer_identity p, const std::string& group, std::int16_t version) {
    protocol::add_offsets_to_txn_request req;
    req.transactional_id = tx;
    req.producer_id = p.id;
    req.producer_epoch = p.epoch;
    req.group_id = group;
    return call<protocol::add_offsets_to_txn_response>(services, req, version).error_code;
  }

  // TxnOffsetCommit of t/0 -> `offset`: the partition's error.
  std::int16_t txn_commit(const std::string& tx, producer_identity p, const std::string& group, std::int64_t offset,
                          std::int16_t version) {
    protocol::txn_offset_commit_request req;
    req.transactional_id = tx;
    req.group_id = group;
    req.producer_id = p.id;
    req.producer_epoch = p.epoch;
    auto& topic = req.topics.emplace_back();
    topic.name = "t";
    auto& part = topic.partitions.emplace_back();
    part.partition_index = 0;
    part.committed_offset = offset;
    part.committed_metadata = "in-txn";
    const auto resp = call<protocol::txn_offset_commit_response>(services, req, version);
    return resp.topics.at(0).partitions.at(0).error_code;
  }

  // OffsetFetch of t/0 for `group`, in the one-group (v0-v7) or the groups (v8+) layout.
  fetched offset_fetch(const std::string& group, std::int16_t version, bool require_stable = false) {
    protocol::offset_fetch_request req;
    req.require_stable = require_stable;
    if (version < 8) {
      req.group_id = group;
      req.topics.emplace().push_back({"t", {0}, {}});
      const auto resp = call<protocol::offset_fetch_response>(services, req, version);
      const auto& p = resp.topics.at(0).partitions.at(0);
      return {p.committed_offset, p.metadata, p.error_code};
    }
    auto& g = req.groups.emplace_back();
    g.group_id = group;
    g.topics.emplace().push_back({"t", {0}, {}});
    const auto resp = call<protocol::offset_fetch_response>(services, req, version);
    const auto& p = resp.groups.at(0).topics.at(0).partitions.at(0);
    return {p.committed_offset, p.metadata, p.error_code};
  }

  test_broker services;
};

TEST_F(transaction_apis_offsets, offsets_committed_in_a_transaction_show_only_after_the_commit) {
  for (std::int16_t v = txn_offset_commit_handler::min_version; v <= txn_offset_commit_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v), group = "g-" + std::to_string(v);
    const auto p = init_ok(services, tx);
    ASSERT_EQ(add_offsets(tx, p, group, v), 0);
    EXPECT_EQ(describe_transaction(services, tx).transaction_state, "Ongoing");
    ASSERT_EQ(txn_commit(tx, p, group, 42, v), 0);

    for (const std::int16_t fetch_version : {1, 5, 7, 8}) {
      EXPECT_EQ(offset_fetch(group, fetch_version).offset, -1) << "pending, read at v" << fetch_version;
    }
    for (const std::int16_t fetch_version : {7, 8}) {
      const auto stable = offset_fetch(group, fetch_version, true);
      EXPECT_EQ(stable.error, code(error_code::unstable_offset_commit)) << "v" << fetch_version;
      EXPECT_EQ(stable.offset, -1);
    }

    ASSERT_EQ(end_txn(services, tx, p, true, v), 0);
    ASSERT_TRUE(reaches_state(services, tx, "CompleteCommit"));
    for (const std::int16_t fetch_version : {1, 5, 8}) {
      const auto after = offset_fetch(group, fetch_version);
      EXPECT_EQ(after.error, 0);
      EXPECT_EQ(after.offset, 42) << "v" << fetch_version;
      EXPECT_EQ(after.metadata, "in-txn");
    }
    const auto stable = offset_fetch(group, 7, true);
    EXPECT_EQ(stable.error, 0);
    EXPECT_EQ(stable.offset, 42);
  }
}

TEST_F(transaction_apis_offsets, offsets_of_an_aborted_transaction_never_show) {
  for (std::int16_t v = add_offsets_to_txn_handler::min_version; v <= add_offsets_to_txn_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v), group = "g-" + std::to_string(v);
    const auto p = init_ok(services, tx);
    ASSERT_EQ(add_offsets(tx, p, group, v), 0);
    ASSERT_EQ(txn_commit(tx, p, group, 42, v), 0);
    ASSERT_EQ(end_txn(services, tx, p, false, v), 0);
    ASSERT_TRUE(reaches_state(services, tx, "CompleteAbort"));
    EXPECT_EQ(offset_fetch(group, 5).offset, -1);
    const auto stable = offset_fetch(group, 7, true);
    EXPECT_EQ(stable.error, 0) << "nothing pending any more";
    EXPECT_EQ(stable.offset, -1);
  }
}

TEST_F(transaction_apis_offsets, a_second_transaction_keeps_the_first_ones_offset_until_it_commits) {
  const auto p = init_ok(services, "tx");
  // An earlier transaction commits 10; the next one's 20 stays hidden until its own commit.
  ASSERT_EQ(add_offsets("tx", p, "g", 3), 0);
  ASSERT_EQ(txn_commit("tx", p, "g", 10, 3), 0);
  ASSERT_EQ(end_txn(services, "tx", p, true), 0);
  ASSERT_TRUE(reaches_state(services, "tx", "CompleteCommit"));
  ASSERT_EQ(add_offsets("tx", p, "g", 3), 0);
  ASSERT_EQ(txn_commit("tx", p, "g", 20, 3), 0);
  EXPECT_EQ(offset_fetch("g", 7).offset, 10) << "without require_stable: the last committed offset";
  EXPECT_EQ(offset_fetch("g", 7, true).error, code(error_code::unstable_offset_commit));
  ASSERT_EQ(end_txn(services, "tx", p, true), 0);
  ASSERT_TRUE(reaches_state(services, "tx", "CompleteCommit"));
  EXPECT_EQ(offset_fetch("g", 7, true).offset, 20);
}

TEST_F(transaction_apis_offsets, add_offsets_from_a_stale_epoch_is_producer_fenced_from_v2) {
  for (std::int16_t v = add_offsets_to_txn_handler::min_version; v <= add_offsets_to_txn_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const std::string tx = "tx-" + std::to_string(v);
    const auto old = init_ok(services, tx);
    const auto current = init_ok(services, tx);
    EXPECT_EQ(add_offsets(tx, old, "g", v),
              code(v >= 2 ? error_code::producer_fenced : error_code::invalid_producer_epoch));
    EXPECT_EQ(add_offsets(tx, {current.id + 1, current.epoch}, "g", v), code(error_code::invalid_producer_id_mapping));
    EXPECT_EQ(describe_transaction(services, tx).transaction_state, "Empty");
  }
}

TEST_F(transaction_apis_offsets, txn_offset_commit_to_an_unknown_partition_is_unknown_topic_or_partition) {
  const auto p = init_ok(services, "tx");
  ASSERT_EQ(add_offsets("tx", p, "g", 3), 0);
  protocol::txn_offset_commit_request req;
  req.transactional_id = "tx";
  req.group_id = "g";
  req.producer_id = p.id;
  req.producer_epoch = p.epoch;
  auto& topic = req.topics.emplace_back();
  topic.name = "t";
  topic.partitions.push_back({9, 5, -1, "", {}});
  topic.partitions.push_back({1, 5, -1, "", {}});
  const auto resp = call<protocol::txn_offset_commit_response>(services, req, 3);
  ASSERT_EQ(resp.topics.at(0).partitions.size(), 2u);
  EXPECT_EQ(resp.topics[0].partitions[0].error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(resp.topics[0].partitions[1].error_code, 0);
}

TEST_F(transaction_apis_offsets, txn_offset_commit_v3_naming_an_unknown_member_is_unknown_member_id) {
  const auto p = init_ok(services, "tx");
  ASSERT_EQ(add_offsets("tx", p, "g", 3), 0);
  ASSERT_EQ(txn_commit("tx", p, "g", 7, 2), 0) << "no member named: accepted whatever the group";
  protocol::txn_offset_commit_request req;
  req.transactional_id = "tx";
  req.group_id = "g";
  req.producer_id = p.id;
  req.producer_epoch = p.epoch;
  req.generation_id = 1;
  req.member_id = "ghost";
  auto& topic = req.topics.emplace_back();
  topic.name = "t";
  topic.partitions.push_back({0, 8, -1, "", {}});
  for (const std::int16_t v : {3, 4}) {
    const auto resp = call<protocol::txn_offset_commit_response>(services, req, v);
    EXPECT_EQ(resp.topics.at(0).partitions.at(0).error_code, code(error_code::unknown_member_id)) << v;
  }
}

}  // namespace
}  // namespace spate::broker
