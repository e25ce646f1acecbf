// The data path of idempotent and transactional producers as raw requests: Produce's producer
// checks (a retried batch answered with its original offsets, sequence gaps, stale epochs, control
// batches refused), and whole transactions (InitProducerId, AddPartitionsToTxn, a transactional
// Produce, EndTxn) seen through read_committed/read_uncommitted Fetch, ListOffsets and
// DescribeProducers, across versions.
#include <chrono>

#include <gtest/gtest.h>

#include "broker/handlers/fetch.h"
#include "broker/handlers/list_offsets.h"
#include "protocol/messages/describe_producers.h"
#include "transaction_apis_support.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

// Fetch versions that carry isolation_level and name topics (v13+ use topic ids).
constexpr std::int16_t first_isolated_fetch = 4, last_named_fetch = 12;
// ListOffsets versions that carry isolation_level.
constexpr std::int16_t first_isolated_list_offsets = 2;

class transaction_apis_data : public ::testing::Test {
 protected:
  transaction_apis_data() { services.create_topic("t", 2); }

  std::int64_t log_end() { return services.logs().get("t", 0)->log_end_offset(); }

  // Opens a transaction on t/0 after a plain two-record batch: offsets 0-1 plain (timestamps
  // t0, t0 + 1), 2-4 the producer's transactional batch (t0 + 1000 ...), so the LSO (2) lags the
  // high watermark (5).
  producer_identity open_transaction(const std::string& tx) {
    EXPECT_EQ(produce(services, "t", 0, make_batch(2, "plain", model::compression_type::none, t0_)).base_offset, 0);
    const auto p = init_ok(services, tx);
    EXPECT_EQ(add_partitions(services, tx, p, {{"t", {0}}}), (std::vector<std::int16_t>{0}));
    const auto appended = produce(services, "t", 0, producer_batch(p, 0, 3, true, "txn", t0_ + 1000));
    EXPECT_EQ(appended.error_code, 0);
    EXPECT_EQ(appended.base_offset, 2);
    return p;
  }

  // Waits until the marker at offset 5 is below the last stable offset.
  bool marker_is_stable() {
    return eventually([&] { return fetch_isolated(services, "t", 0, 0, read_committed).last_stable_offset == 6; });
  }

  protocol::describe_producers_response::partition_response describe_producers(std::int32_t partition) {
    protocol::describe_producers_request req;
    auto& t = req.topics.emplace_back();
    t.name = "t";
    t.partition_indexes = {partition};
    return call<protocol::describe_producers_response>(services, req, 0).topics.at(0).partitions.at(0);
  }

  const std::int64_t t0_ = wall_clock_ms();
  test_broker services;
};

// ---- Idempotent Produce ----

TEST_F(transaction_apis_data, a_retried_batch_is_answered_with_its_original_offsets_and_stored_once) {
  for (const std::int16_t v : {3, 5, 7, 9, 11}) {
    SCOPED_TRACE(v);
    const auto p = init_ok(services, std::nullopt);
    const auto first_batch = producer_batch(p, 0, 3, false, "a");
    const auto second_batch = producer_batch(p, 3, 2, false, "b");
    const auto first = produce(services, "t", 0, first_batch, v);
    ASSERT_EQ(first.error_code, 0);
    const auto second = produce(services, "t", 0, second_batch, v);
    ASSERT_EQ(second.error_code, 0);
    const auto end = log_end();

    const auto retry_last = produce(services, "t", 0, second_batch, v);
    EXPECT_EQ(retry_last.error_code, 0);
    EXPECT_EQ(retry_last.base_offset, second.base_offset);
    // An older batch still among the five the log remembers.
    const auto retry_older = produce(services, "t", 0, first_batch, v);
    EXPECT_EQ(retry_older.error_code, 0);
    EXPECT_EQ(retry_older.base_offset, first.base_offset);
    EXPECT_EQ(log_end(), end) << "a retry writes nothing";

    auto expected = as_stored(first_batch, first.base_offset);
    const auto stored_second = as_stored(second_batch, second.base_offset);
    expected.insert(expected.end(), stored_second.begin(), stored_second.end());
    EXPECT_EQ(*fetch_one(services, "t", 0, first.base_offset).records, expected) << "one copy of each batch";
  }
}

TEST_F(transaction_apis_data, a_sequence_gap_is_out_of_order_sequence_number) {
  for (const std::int16_t v : {3, 9}) {
    SCOPED_TRACE(v);
    const auto p = init_ok(services, std::nullopt);
    ASSERT_EQ(produce(services, "t", 0, producer_batch(p, 0, 3, false), v).error_code, 0);
    const auto end = log_end();
    const auto gap = produce(services, "t", 0, producer_batch(p, 5, 1, false), v);
    EXPECT_EQ(gap.error_code, code(error_code::out_of_order_sequence_number));
    EXPECT_EQ(gap.base_offset, -1);
    EXPECT_EQ(log_end(), end);
    EXPECT_EQ(produce(services, "t", 0, producer_batch(p, 3, 1, false), v).error_code, 0) << "the next sequence";
  }
}

TEST_F(transaction_apis_data, a_batch_of_an_older_epoch_is_invalid_producer_epoch) {
  const auto p = init_ok(services, std::nullopt);
  ASSERT_EQ(produce(services, "t", 0, producer_batch(p, 0, 2, false)).error_code, 0);
  const producer_identity bumped{p.id, static_cast<std::int16_t>(p.epoch + 1)};
  ASSERT_EQ(produce(services, "t", 0, producer_batch(bumped, 0, 1, false)).error_code, 0);
  const auto end = log_end();
  for (const std::int16_t v : {3, 9}) {
    EXPECT_EQ(produce(services, "t", 0, producer_batch(p, 2, 1, false), v).error_code,
              code(error_code::invalid_producer_epoch))
        << v;
  }
  EXPECT_EQ(log_end(), end);
}

TEST_F(transaction_apis_data, control_batches_from_clients_are_invalid_record) {
  const auto p = init_ok(services, "tx");
  model::record_batch_builder builder;
  builder.set_producer(p.id, p.epoch, -1).set_transactional().set_control();
  builder.add(model::make_end_txn_marker(model::control_record_type::commit, 0, 0, 1'700'000'000'000));
  for (const std::int16_t v : {2, 3, 9}) {
    EXPECT_EQ(produce(services, "t", 0, builder.build(), v).error_code, code(error_code::invalid_record)) << v;
  }
  EXPECT_EQ(log_end(), 0);
}

TEST_F(transaction_apis_data, a_producer_batch_among_other_batches_is_invalid_record) {
  const auto p = init_ok(services, std::nullopt);
  auto records = make_batch(1);
  const auto idempotent = producer_batch(p, 0, 1, false);
  records.insert(records.end(), idempotent.begin(), idempotent.end());
  EXPECT_EQ(produce(services, "t", 0, records, 2).error_code, code(error_code::invalid_record));
  EXPECT_EQ(log_end(), 0);
}

// ---- Transactions on the data path ----

TEST_F(transaction_apis_data, an_open_transaction_holds_read_committed_fetches_and_list_offsets_at_the_lso) {
  const auto p = open_transaction("tx");
  for (std::int16_t v = first_isolated_fetch; v <= last_named_fetch; ++v) {
    SCOPED_TRACE(v);
    const auto committed = fetch_isolated(services, "t", 0, 0, read_committed, v);
    EXPECT_EQ(committed.error_code, 0);
    EXPECT_EQ(committed.high_watermark, 5);
    EXPECT_EQ(committed.last_stable_offset, 2);
    const auto seen = batches_of(committed.records);
    ASSERT_EQ(seen.size(), 1u) << "only the plain batch is below the LSO";
    EXPECT_EQ(seen[0].last_offset, 1);
    ASSERT_TRUE(committed.aborted_transactions.has_value());
    EXPECT_TRUE(committed.aborted_transactions->empty());
    EXPECT_TRUE(batches_of(fetch_isolated(services, "t", 0, 2, read_committed, v).records).empty());

    const auto uncommitted = fetch_isolated(services, "t", 0, 0, read_uncommitted, v);
    EXPECT_EQ(uncommitted.last_stable_offset, 2);
    ASSERT_EQ(batches_of(uncommitted.records).size(), 2u);
    EXPECT_TRUE(batches_of(uncommitted.records)[1].transactional);
  }
  for (std::int16_t v = first_isolated_list_offsets; v <= list_offsets_handler::max_version; ++v) {
    EXPECT_EQ(latest_offset(services, "t", 0, read_committed, v), 2) << v;
    EXPECT_EQ(latest_offset(services, "t", 0, read_uncommitted, v), 5) << v;
  }
  // The producer may not mix non-transactional batches into its open transaction.
  EXPECT_EQ(produce(services, "t", 0, producer_batch(p, 3, 1, false)).error_code, code(error_code::invalid_txn_state));
}

// Kafka bounds every timestamp lookup but EARLIEST by the isolation level's last fetchable offset
// (Partition.fetchOffsetForTimestamp: `offset < lastFetchableOffset`, else no offset), MAX_TIMESTAMP
// included: a read_committed client must not learn offsets of an open transaction.
TEST_F(transaction_apis_data, read_committed_timestamp_lookups_stop_at_the_lso) {
  open_transaction("tx");
  EXPECT_EQ(list_offset(services, "t", 0, t0_ + 1000, read_uncommitted).offset, 2);
  const auto by_time = list_offset(services, "t", 0, t0_ + 1000, read_committed);
  EXPECT_EQ(by_time.error_code, 0);
  EXPECT_EQ(by_time.offset, -1);
  EXPECT_EQ(by_time.timestamp, -1);
  constexpr std::int64_t max_timestamp = -3;  // v7+
  for (std::int16_t v = 7; v <= list_offsets_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    const auto uncommitted = list_offset(services, "t", 0, max_timestamp, read_uncommitted, v);
    EXPECT_EQ(uncommitted.offset, 4);
    EXPECT_EQ(uncommitted.timestamp, t0_ + 1002);
    const auto committed = list_offset(services, "t", 0, max_timestamp, read_committed, v);
    EXPECT_EQ(committed.error_code, 0);
    EXPECT_EQ(committed.offset, -1) << "the newest record is in the open transaction";
    EXPECT_EQ(committed.timestamp, -1);
  }
}

TEST_F(transaction_apis_data, a_committed_transaction_becomes_readable_without_aborted_transactions) {
  const auto p = open_transaction("tx");
  ASSERT_EQ(end_txn(services, "tx", p, true), 0);
  ASSERT_TRUE(marker_is_stable());
  for (std::int16_t v = first_isolated_fetch; v <= last_named_fetch; ++v) {
    SCOPED_TRACE(v);
    const auto committed = fetch_isolated(services, "t", 0, 0, read_committed, v);
    EXPECT_EQ(committed.high_watermark, 6);
    EXPECT_EQ(committed.last_stable_offset, 6);
    const auto seen = batches_of(committed.records);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[1].base_offset, 2);
    EXPECT_TRUE(seen[1].transactional);
    EXPECT_EQ(seen[2].base_offset, 5);
    EXPECT_TRUE(seen[2].control) << "the commit marker";
    EXPECT_EQ(seen[2].producer_id, p.id);
    ASSERT_TRUE(committed.aborted_transactions.has_value());
    EXPECT_TRUE(committed.aborted_transactions->empty());
  }
  for (std::int16_t v = first_isolated_list_offsets; v <= list_offsets_handler::max_version; ++v) {
    EXPECT_EQ(latest_offset(services, "t", 0, read_committed, v), 6) << v;
    EXPECT_EQ(latest_offset(services, "t", 0, read_uncommitted, v), 6) << v;
  }
}

TEST_F(transaction_apis_data, an_aborted_transaction_is_returned_with_its_aborted_transactions_entry) {
  const auto p = open_transaction("tx");
  ASSERT_EQ(end_txn(services, "tx", p, false), 0);
  ASSERT_TRUE(marker_is_stable());
  for (std::int16_t v = first_isolated_fetch; v <= last_named_fetch; ++v) {
    SCOPED_TRACE(v);
    for (const std::int64_t from : {0, 2}) {
      const auto committed = fetch_isolated(services, "t", 0, from, read_committed, v);
      EXPECT_EQ(committed.last_stable_offset, 6);
      const auto seen = batches_of(committed.records);
      ASSERT_FALSE(seen.empty());
      EXPECT_EQ(seen.back().base_offset, 5);
      EXPECT_TRUE(seen.back().control) << "the abort marker";
      ASSERT_TRUE(committed.aborted_transactions.has_value());
      ASSERT_EQ(committed.aborted_transactions->size(), 1u) << "from " << from;
      EXPECT_EQ(committed.aborted_transactions->at(0).producer_id, p.id);
      EXPECT_EQ(committed.aborted_transactions->at(0).first_offset, 2);
    }
    // Past the aborted batch there is nothing to report.
    const auto after = fetch_isolated(services, "t", 0, 6, read_committed, v);
    ASSERT_TRUE(after.aborted_transactions.has_value());
    EXPECT_TRUE(after.aborted_transactions->empty());

    const auto uncommitted = fetch_isolated(services, "t", 0, 0, read_uncommitted, v);
    EXPECT_EQ(batches_of(uncommitted.records).size(), 3u);
    EXPECT_FALSE(uncommitted.aborted_transactions.has_value()) << "read_uncommitted: a null list";
  }
}

// A read_committed long poll parked at the LSO is woken when the commit marker moves it, not by
// its timeout. Both requests run on one event loop, as on a broker thread.
TEST_F(transaction_apis_data, a_read_committed_long_poll_at_the_lso_is_woken_by_the_commit) {
  const auto p = open_transaction("tx");
  auto req = fetch_request_for("t", 0, 2);
  req.isolation_level = read_committed;
  req.max_wait_ms = 30000;
  req.min_bytes = 1;
  protocol::end_txn_request end;
  end.transactional_id = "tx";
  end.producer_id = p.id;
  end.producer_epoch = p.epoch;
  end.committed = true;

  boost::asio::io_context io;
  dispatcher d(services);
  auto fetch_frame = request_frame(req, 11);
  auto end_frame = request_frame(end, 3);
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point fetched, ended;
  // Spawned first, so it parks before EndTxn runs (the loop starts coroutines in order).
  auto fetch_done = boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<response_frame> {
        auto call = d.handle(std::move(fetch_frame), "fetch", io.get_executor());
        auto r = co_await std::move(call);
        fetched = std::chrono::steady_clock::now();
        co_return r;
      },
      boost::asio::use_future);
  auto end_done = boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<response_frame> {
        auto call = d.handle(std::move(end_frame), "end_txn", io.get_executor());
        auto r = co_await std::move(call);
        ended = std::chrono::steady_clock::now();
        co_return r;
      },
      boost::asio::use_future);
  io.run();

  EXPECT_EQ(read_response<protocol::end_txn_response>(*flattened(end_done.get()), 3).error_code, 0);
  const auto resp = read_response<protocol::fetch_response>(*flattened(fetch_done.get()), 11);
  EXPECT_GE(fetched, ended) << "the fetch did not wait for the commit";
  EXPECT_LT(fetched - start, std::chrono::seconds(15)) << "the fetch waited for its timeout";
  const auto& part = resp.responses.at(0).partitions.at(0);
  EXPECT_EQ(part.error_code, 0);
  const auto seen = batches_of(part.records);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].base_offset, 2);
  EXPECT_TRUE(seen[0].transactional);
  EXPECT_GT(part.last_stable_offset, 4);
}

TEST_F(transaction_apis_data, a_new_init_while_a_transaction_is_open_fences_the_producer_and_aborts_it) {
  const auto old = open_transaction("tx");
  EXPECT_EQ(init_producer_id(services, "tx").error_code, code(error_code::concurrent_transactions));
  ASSERT_TRUE(reaches_state(services, "tx", "CompleteAbort"));
  ASSERT_TRUE(marker_is_stable());
  const auto committed = fetch_isolated(services, "t", 0, 0, read_committed);
  ASSERT_TRUE(committed.aborted_transactions.has_value());
  ASSERT_EQ(committed.aborted_transactions->size(), 1u);
  EXPECT_EQ(committed.aborted_transactions->at(0).producer_id, old.id);

  // The abort marker carries the bumped epoch: the old producer's batches are refused.
  EXPECT_EQ(produce(services, "t", 0, producer_batch(old, 3, 1, false)).error_code,
            code(error_code::invalid_producer_epoch));
  EXPECT_EQ(end_txn(services, "tx", old, true), code(error_code::producer_fenced));
  const auto retried = init_producer_id(services, "tx");
  EXPECT_EQ(retried.error_code, 0);
  EXPECT_EQ(retried.producer_id, old.id);
  EXPECT_EQ(retried.producer_epoch, old.epoch + 2) << "one bump for the fence, one for the new session";
}

TEST_F(transaction_apis_data, describe_producers_shows_the_open_transaction_and_then_its_end) {
  const auto idempotent = init_ok(services, std::nullopt);
  const std::int64_t t0 = wall_clock_ms();
  ASSERT_EQ(produce(services, "t", 1, producer_batch(idempotent, 0, 4, false, "v", t0)).error_code, 0);
  auto part = describe_producers(1);
  EXPECT_EQ(part.error_code, 0);
  ASSERT_EQ(part.active_producers.size(), 1u);
  EXPECT_EQ(part.active_producers[0].producer_id, idempotent.id);
  EXPECT_EQ(part.active_producers[0].producer_epoch, 0);
  EXPECT_EQ(part.active_producers[0].last_sequence, 3);
  EXPECT_EQ(part.active_producers[0].last_timestamp, t0 + 3);
  EXPECT_EQ(part.active_producers[0].coordinator_epoch, -1) << "no marker yet";
  EXPECT_EQ(part.active_producers[0].current_txn_start_offset, -1);

  const auto p = open_transaction("tx");
  part = describe_producers(0);
  ASSERT_EQ(part.active_producers.size(), 1u) << "a plain batch has no producer";
  EXPECT_EQ(part.active_producers[0].producer_id, p.id);
  EXPECT_EQ(part.active_producers[0].producer_epoch, p.epoch);
  EXPECT_EQ(part.active_producers[0].last_sequence, 2);
  EXPECT_EQ(part.active_producers[0].current_txn_start_offset, 2);

  ASSERT_EQ(end_txn(services, "tx", p, true), 0);
  ASSERT_TRUE(marker_is_stable());
  part = describe_producers(0);
  ASSERT_EQ(part.active_producers.size(), 1u);
  EXPECT_EQ(part.active_producers[0].last_sequence, 2) << "a marker keeps the sequence";
  EXPECT_EQ(part.active_producers[0].coordinator_epoch, 0);
  EXPECT_EQ(part.active_producers[0].current_txn_start_offset, -1);

  EXPECT_EQ(describe_producers(7).error_code, code(error_code::unknown_topic_or_partition));
}

}  // namespace
}  // namespace spate::broker
