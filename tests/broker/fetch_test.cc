#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_future.hpp>

#include "broker/dispatcher.h"
#include "broker/handlers/fetch.h"
#include "data_path_support.h"
#include "protocol/error_code.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;
using protocol::fetch_request;
using protocol::fetch_response;
using clock_type = std::chrono::steady_clock;

std::int16_t code(error_code e) { return static_cast<std::int16_t>(e); }

base::byte_buffer concat(std::initializer_list<base::byte_buffer> parts) {
  base::byte_buffer out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

class fetch_test : public ::testing::Test {
 protected:
  fetch_test() {
    services.create_topic("t", 2);
    services.create_topic("u", 1);
  }
  test_broker services;
};

TEST_F(fetch_test, produced_batches_come_back_byte_for_byte_for_every_codec) {
  using model::compression_type;
  std::vector<base::byte_buffer> expected;
  std::int64_t offset = 0;
  for (auto codec : {compression_type::none, compression_type::gzip, compression_type::snappy, compression_type::lz4,
                     compression_type::zstd}) {
    auto batch = make_batch(10, "codec" + std::to_string(static_cast<int>(codec)) + "-", codec);
    ASSERT_EQ(produce(services, "t", 0, batch).base_offset, offset);
    expected.push_back(as_stored(batch, offset));
    offset += 10;
  }
  const auto part = fetch_one(services, "t", 0, 0);
  EXPECT_EQ(part.error_code, 0);
  EXPECT_EQ(part.high_watermark, 50);
  EXPECT_EQ(part.last_stable_offset, 50);
  EXPECT_EQ(part.log_start_offset, 0);
  EXPECT_EQ(*part.records, concat({expected[0], expected[1], expected[2], expected[3], expected[4]}));
  // From inside the third batch: that batch whole, and what follows.
  EXPECT_EQ(*fetch_one(services, "t", 0, 25).records, concat({expected[2], expected[3], expected[4]}));
}

// The records of a fetch go to the socket from the read buffer they were read into: the encoded
// response splices them in rather than copying (small ones, under a gather write's worth, are
// copied). What the client receives is the same bytes either way.
TEST_F(fetch_test, large_records_are_spliced_into_the_response_not_copied) {
  const auto large = make_batch(400, std::string(100, 'x'));  // ~45 KB
  const auto small = make_batch(2);
  ASSERT_EQ(produce(services, "t", 0, large).error_code, 0);
  ASSERT_EQ(produce(services, "t", 1, small).error_code, 0);
  ASSERT_EQ(produce(services, "u", 0, large).error_code, 0);
  auto req = fetch_request_for("t", 0, 0);
  req.topics[0].partitions.emplace_back(req.topics[0].partitions[0]).partition = 1;
  req.topics.emplace_back(fetch_request_for("u", 0, 0).topics[0]);

  boost::asio::io_context io;
  dispatcher d(services);
  auto done =
      boost::asio::co_spawn(io, d.handle(request_frame(req, 12), "test", io.get_executor()), boost::asio::use_future);
  io.run();
  const auto frame = done.get();
  ASSERT_TRUE(frame.has_value());
  ASSERT_EQ(frame->splices.size(), 2u) << "one splice per large partition";
  for (const auto& s : frame->splices) EXPECT_EQ(s.data.size(), large.size());
  const auto resp = read_response<fetch_response>(frame->flatten(), 12);
  EXPECT_EQ(*resp.responses[0].partitions[0].records, as_stored(large, 0));
  EXPECT_EQ(*resp.responses[0].partitions[1].records, as_stored(small, 0));
  EXPECT_EQ(*resp.responses[1].partitions[0].records, as_stored(large, 0));
}

TEST_F(fetch_test, every_version_is_answered) {
  const auto batch = make_batch(3);
  ASSERT_EQ(produce(services, "t", 0, batch).error_code, 0);
  const auto topic_id = services.logs().find_topic("t")->id;
  for (std::int16_t v = fetch_handler::min_version; v <= fetch_handler::max_version; ++v) {
    SCOPED_TRACE(v);
    auto req = fetch_request_for("t", 0, 0);
    req.topics[0].topic_id = topic_id;
    const auto resp = fetch(services, req, v);
    ASSERT_EQ(resp.responses.size(), 1u);
    if (v >= 13) {
      EXPECT_EQ(resp.responses[0].topic_id, topic_id);
    } else {
      EXPECT_EQ(resp.responses[0].topic, "t");
    }
    const auto& part = resp.responses[0].partitions.at(0);
    EXPECT_EQ(part.error_code, 0);
    EXPECT_EQ(part.high_watermark, 3);
    EXPECT_EQ(*part.records, as_stored(batch, 0));
    if (v >= 4) {
      EXPECT_FALSE(part.aborted_transactions.has_value());  // read_uncommitted: null, as Kafka sends
    }
  }
}

TEST_F(fetch_test, read_committed_gets_an_empty_aborted_transactions_list) {
  auto req = fetch_request_for("t", 0, 0);
  req.isolation_level = 1;
  const auto part = fetch(services, req).responses[0].partitions[0];
  ASSERT_TRUE(part.aborted_transactions.has_value());
  EXPECT_TRUE(part.aborted_transactions->empty());
}

TEST_F(fetch_test, at_the_high_watermark_nothing_is_returned_without_error) {
  ASSERT_EQ(produce(services, "t", 0, make_batch(4)).error_code, 0);
  const auto part = fetch_one(services, "t", 0, 4);
  EXPECT_EQ(part.error_code, 0);
  EXPECT_EQ(part.high_watermark, 4);
  EXPECT_TRUE(part.records->empty());
}

TEST_F(fetch_test, past_the_end_is_offset_out_of_range) {
  ASSERT_EQ(produce(services, "t", 0, make_batch(4)).error_code, 0);
  const auto part = fetch_one(services, "t", 0, 5);
  EXPECT_EQ(part.error_code, code(error_code::offset_out_of_range));
  EXPECT_EQ(part.high_watermark, -1);
  EXPECT_TRUE(part.records->empty());
}

TEST_F(fetch_test, below_the_log_start_is_offset_out_of_range) {
  ASSERT_EQ(produce(services, "t", 0, make_batch(4)).error_code, 0);
  ASSERT_EQ(produce(services, "t", 0, make_batch(4)).error_code, 0);
  ASSERT_TRUE(services.logs().delete_records("t", 0, 4));
  EXPECT_EQ(fetch_one(services, "t", 0, 2).error_code, code(error_code::offset_out_of_range));
  const auto part = fetch_one(services, "t", 0, 4);
  EXPECT_EQ(part.error_code, 0);
  EXPECT_EQ(part.log_start_offset, 4);
  EXPECT_FALSE(part.records->empty());
}

TEST_F(fetch_test, unknown_topics_partitions_and_topic_ids) {
  EXPECT_EQ(fetch_one(services, "missing", 0, 0).error_code, code(error_code::unknown_topic_or_partition));
  EXPECT_EQ(fetch_one(services, "t", 7, 0).error_code, code(error_code::unknown_topic_or_partition));
  auto req = fetch_request_for("", 0, 0);
  req.topics[0].topic_id.value[3] = 9;
  const auto resp = fetch(services, req, 13);
  EXPECT_EQ(resp.responses.at(0).partitions.at(0).error_code, code(error_code::unknown_topic_id));
}

TEST_F(fetch_test, a_newer_current_leader_epoch_is_unknown_leader_epoch) {
  auto req = fetch_request_for("t", 0, 0);
  req.topics[0].partitions[0].current_leader_epoch = 3;
  EXPECT_EQ(fetch(services, req, 11).responses[0].partitions[0].error_code, code(error_code::unknown_leader_epoch));
  req.topics[0].partitions[0].current_leader_epoch = 0;
  EXPECT_EQ(fetch(services, req, 11).responses[0].partitions[0].error_code, 0);
}

TEST_F(fetch_test, partition_max_bytes_returns_whole_batches_but_at_least_one) {
  const auto a = make_batch(50, "aaaaaaaaaa");
  const auto b = make_batch(50, "bbbbbbbbbb");
  ASSERT_EQ(produce(services, "t", 0, a).error_code, 0);
  ASSERT_EQ(produce(services, "t", 0, b).error_code, 0);
  const auto req = fetch_request_for("t", 0, 0, static_cast<std::int32_t>(a.size() + b.size() - 1));
  EXPECT_EQ(*fetch(services, req).responses[0].partitions[0].records, as_stored(a, 0));
  const auto tiny = fetch_request_for("t", 0, 0, 10);
  EXPECT_EQ(*fetch(services, tiny).responses[0].partitions[0].records, as_stored(a, 0));
}

TEST_F(fetch_test, max_bytes_bounds_the_response_across_partitions) {
  const auto a = make_batch(50, "aaaaaaaaaa");
  const auto b = make_batch(50, "bbbbbbbbbb");
  ASSERT_EQ(produce(services, "t", 0, a).error_code, 0);
  ASSERT_EQ(produce(services, "t", 1, b).error_code, 0);
  ASSERT_EQ(produce(services, "u", 0, b).error_code, 0);
  auto req = fetch_request_for("t", 0, 0);
  auto& p1 = req.topics[0].partitions.emplace_back();
  p1.partition = 1;
  p1.partition_max_bytes = 1 << 20;
  auto& u = req.topics.emplace_back();
  u.topic = "u";
  u.partitions.emplace_back().partition_max_bytes = 1 << 20;

  // Room for one batch and a half: the first partition's batch, nothing from the others.
  req.max_bytes = static_cast<std::int32_t>(a.size() + b.size() / 2);
  auto resp = fetch(services, req);
  EXPECT_EQ(resp.responses[0].partitions[0].records->size(), a.size());
  EXPECT_TRUE(resp.responses[0].partitions[1].records->empty());
  EXPECT_EQ(resp.responses[0].partitions[1].high_watermark, 50);
  EXPECT_TRUE(resp.responses[1].partitions[0].records->empty());

  // A max_bytes smaller than any batch still returns the first batch (consumers make progress).
  req.max_bytes = 1;
  resp = fetch(services, req);
  EXPECT_EQ(resp.responses[0].partitions[0].records->size(), a.size());
  EXPECT_TRUE(resp.responses[0].partitions[1].records->empty());

  // Room for everything.
  req.max_bytes = 1 << 20;
  resp = fetch(services, req);
  EXPECT_EQ(resp.responses[0].partitions[1].records->size(), b.size());
  EXPECT_EQ(resp.responses[1].partitions[0].records->size(), b.size());
}

// Runs a long-poll fetch and, `delay` later, a produce on one io_context (one event loop, as on a
// broker thread); returns the fetch's response and how long it took.
struct long_poll_outcome {
  fetch_response response;
  clock_type::duration elapsed;
};
long_poll_outcome long_poll(test_broker& services, const fetch_request& req, std::optional<base::byte_buffer> produced,
                            std::chrono::milliseconds delay) {
  boost::asio::io_context io;
  dispatcher d(services);
  const auto start = clock_type::now();
  clock_type::time_point fetched;
  auto fetch_frame = request_frame(req, 11);
  auto fetch_done = boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<response_frame> {
        // Named first: GCC 12 mishandles temporaries in a co_await expression.
        auto call = d.handle(std::move(fetch_frame), "fetch", io.get_executor());
        auto r = co_await std::move(call);
        fetched = clock_type::now();
        co_return r;
      },
      boost::asio::use_future);
  // Outlives io.run(): the spawned produce refers to it.
  base::byte_buffer produce_frame;
  if (produced) {
    produce_frame = request_frame(produce_request_for("t", 0, std::move(*produced)), 9);
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          boost::asio::steady_timer timer(io, delay);
          co_await timer.async_wait(boost::asio::use_awaitable);
          auto call = d.handle(std::move(produce_frame), "produce", io.get_executor());
          (void)co_await std::move(call);
        },
        boost::asio::detached);
  }
  io.run();
  return {read_response<fetch_response>(*flattened(fetch_done.get()), 11), fetched - start};
}

TEST_F(fetch_test, a_long_poll_is_woken_by_a_produce_before_its_timeout) {
  auto req = fetch_request_for("t", 0, 0);
  req.max_wait_ms = 10000;
  req.min_bytes = 1;
  const auto batch = make_batch(5);
  const auto outcome = long_poll(services, req, batch, std::chrono::milliseconds(100));
  EXPECT_GE(outcome.elapsed, std::chrono::milliseconds(100));
  EXPECT_LT(outcome.elapsed, std::chrono::seconds(5)) << "the fetch waited for its timeout";
  const auto& part = outcome.response.responses.at(0).partitions.at(0);
  EXPECT_EQ(part.error_code, 0);
  EXPECT_EQ(*part.records, as_stored(batch, 0));
  EXPECT_EQ(services.services().waiters()->size(), 0u);
}

TEST_F(fetch_test, a_long_poll_without_data_times_out_empty) {
  auto req = fetch_request_for("t", 0, 0);
  req.max_wait_ms = 300;
  req.min_bytes = 1;
  const auto outcome = long_poll(services, req, std::nullopt, {});
  EXPECT_GE(outcome.elapsed, std::chrono::milliseconds(300));
  EXPECT_LT(outcome.elapsed, std::chrono::seconds(5));
  const auto& part = outcome.response.responses.at(0).partitions.at(0);
  EXPECT_EQ(part.error_code, 0);
  EXPECT_TRUE(part.records->empty());
  EXPECT_EQ(services.services().waiters()->size(), 0u);
}

TEST_F(fetch_test, a_long_poll_waits_for_min_bytes_not_just_any_data) {
  const auto small = make_batch(1);
  ASSERT_EQ(produce(services, "t", 0, small).error_code, 0);
  auto req = fetch_request_for("t", 0, 0);
  req.max_wait_ms = 300;
  req.min_bytes = static_cast<std::int32_t>(small.size() * 100);
  const auto outcome = long_poll(services, req, make_batch(1), std::chrono::milliseconds(20));
  EXPECT_GE(outcome.elapsed, std::chrono::milliseconds(300));
  EXPECT_EQ(outcome.response.responses[0].partitions[0].high_watermark, 2);
}

TEST_F(fetch_test, a_long_poll_with_an_error_answers_at_once) {
  auto req = fetch_request_for("t", 0, 99);
  req.max_wait_ms = 10000;
  req.min_bytes = 1;
  const auto outcome = long_poll(services, req, std::nullopt, {});
  EXPECT_LT(outcome.elapsed, std::chrono::seconds(5));
  EXPECT_EQ(outcome.response.responses[0].partitions[0].error_code, code(error_code::offset_out_of_range));
}

// Sessions (KIP-227).
class fetch_session_test : public fetch_test {
 protected:
  fetch_request two_partitions(std::int32_t session_id, std::int32_t epoch) {
    auto req = fetch_request_for("t", 0, 0);
    auto& p1 = req.topics[0].partitions.emplace_back();
    p1.partition = 1;
    p1.partition_max_bytes = 1 << 20;
    req.session_id = session_id;
    req.session_epoch = epoch;
    return req;
  }
  static fetch_request incremental(std::int32_t session_id, std::int32_t epoch) {
    fetch_request req;
    req.session_id = session_id;
    req.session_epoch = epoch;
    return req;
  }
};

TEST_F(fetch_session_test, a_full_fetch_with_epoch_zero_opens_a_session) {
  const auto resp = fetch(services, two_partitions(0, 0));
  EXPECT_EQ(resp.error_code, 0);
  EXPECT_NE(resp.session_id, 0);
  EXPECT_EQ(resp.responses.at(0).partitions.size(), 2u);
  EXPECT_EQ(services.services().fetch_sessions().size(), 1u);
}

TEST_F(fetch_session_test, sessionless_fetches_open_no_session) {
  const auto resp = fetch(services, two_partitions(0, -1));
  EXPECT_EQ(resp.session_id, 0);
  EXPECT_EQ(resp.responses.at(0).partitions.size(), 2u);
  EXPECT_EQ(services.services().fetch_sessions().size(), 0u);
}

TEST_F(fetch_session_test, incremental_fetches_omit_unchanged_partitions) {
  const auto id = fetch(services, two_partitions(0, 0)).session_id;
  // Nothing changed: an empty response.
  auto resp = fetch(services, incremental(id, 1));
  EXPECT_EQ(resp.error_code, 0);
  EXPECT_EQ(resp.session_id, id);
  EXPECT_TRUE(resp.responses.empty());

  // New data in partition 1 (the session remembers its fetch offset 0): only partition 1.
  const auto batch = make_batch(3);
  ASSERT_EQ(produce(services, "t", 1, batch).error_code, 0);
  resp = fetch(services, incremental(id, 2));
  ASSERT_EQ(resp.responses.size(), 1u);
  ASSERT_EQ(resp.responses[0].partitions.size(), 1u);
  EXPECT_EQ(resp.responses[0].partitions[0].partition_index, 1);
  EXPECT_EQ(*resp.responses[0].partitions[0].records, as_stored(batch, 0));

  // The client moves its position in partition 1 to the end: the high watermark is unchanged and
  // there is nothing to read, so nothing is sent.
  auto moved = incremental(id, 3);
  auto& t = moved.topics.emplace_back();
  t.topic = "t";
  auto& p = t.partitions.emplace_back();
  p.partition = 1;
  p.fetch_offset = 3;
  p.partition_max_bytes = 1 << 20;
  EXPECT_TRUE(fetch(services, moved).responses.empty());

  // Forgetting partition 0, then producing to it: not in the session any more.
  auto forget = incremental(id, 4);
  auto& f = forget.forgotten_topics_data.emplace_back();
  f.topic = "t";
  f.partitions = {0};
  EXPECT_TRUE(fetch(services, forget).responses.empty());
  ASSERT_EQ(produce(services, "t", 0, make_batch(1)).error_code, 0);
  EXPECT_TRUE(fetch(services, incremental(id, 5)).responses.empty());
}

TEST_F(fetch_session_test, a_wrong_epoch_is_invalid_fetch_session_epoch) {
  const auto id = fetch(services, two_partitions(0, 0)).session_id;
  const auto resp = fetch(services, incremental(id, 7));
  EXPECT_EQ(resp.error_code, code(error_code::invalid_fetch_session_epoch));
  EXPECT_TRUE(resp.responses.empty());
  // The session is still there at its epoch.
  EXPECT_EQ(fetch(services, incremental(id, 1)).error_code, 0);
}

TEST_F(fetch_session_test, an_unknown_session_is_fetch_session_id_not_found) {
  EXPECT_EQ(fetch(services, incremental(12345, 1)).error_code, code(error_code::fetch_session_id_not_found));
}

TEST_F(fetch_session_test, epoch_minus_one_closes_the_session) {
  const auto id = fetch(services, two_partitions(0, 0)).session_id;
  const auto resp = fetch(services, two_partitions(id, -1));
  EXPECT_EQ(resp.session_id, 0);
  EXPECT_EQ(resp.responses.at(0).partitions.size(), 2u);
  EXPECT_EQ(fetch(services, incremental(id, 1)).error_code, code(error_code::fetch_session_id_not_found));
}

TEST(fetch_session_cache_test, a_full_cache_evicts_only_idle_sessions) {
  fetch_session_cache busy({.max_sessions = 1, .eviction_idle = std::chrono::hours(1)});
  EXPECT_NE(busy.create(false, {}), 0);
  EXPECT_EQ(busy.create(false, {}), 0);
  EXPECT_EQ(busy.size(), 1u);
  fetch_session_cache idle({.max_sessions = 1, .eviction_idle = std::chrono::milliseconds(0)});
  const auto first = idle.create(false, {});
  const auto second = idle.create(false, {});
  EXPECT_NE(second, 0);
  EXPECT_NE(second, first);
  EXPECT_EQ(idle.size(), 1u);
}

}  // namespace
}  // namespace spate::broker
