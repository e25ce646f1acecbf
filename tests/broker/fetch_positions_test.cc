// Consumers' fetch positions: what the Fetch handler records for the lag monitor, and the
// component's own rules (per client and host, latest offset wins, forgetting idle entries).
#include "broker/fetch_positions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "data_path_support.h"

namespace spate::broker {
namespace {

using namespace testing;
using fetched = fetch_positions::fetched;

std::vector<fetch_position> sorted(std::vector<fetch_position> v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return std::tie(a.client_id, a.host, a.topic, a.partition) < std::tie(b.client_id, b.host, b.topic, b.partition);
  });
  return v;
}

TEST(fetch_positions, keeps_the_latest_offset_per_client_host_and_partition) {
  io::manual_clock clock(1000);
  fetch_positions positions(clock);
  const std::vector<fetched> first{{"t", 0, 10}, {"t", 2, 20}};
  positions.record("c", "/h1", false, first);
  clock.advance(5);
  const std::vector<fetched> second{{"t", 0, 15}};
  positions.record("c", "/h1", true, second);
  positions.record("c", "/h2", false, second);

  const auto all = sorted(positions.snapshot());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].host, "/h1");
  EXPECT_EQ(all[0].partition, 0);
  EXPECT_EQ(all[0].offset, 15);
  EXPECT_EQ(all[0].time_ms, 1005);
  EXPECT_TRUE(all[0].read_committed);
  EXPECT_EQ(all[1].partition, 2);
  EXPECT_EQ(all[1].offset, 20);
  EXPECT_EQ(all[1].time_ms, 1000);
  EXPECT_FALSE(all[1].read_committed);
  EXPECT_EQ(all[2].host, "/h2");
  EXPECT_EQ(all[2].offset, 15);
  EXPECT_EQ(positions.client_count(), 2u);
}

TEST(fetch_positions, forgets_clients_and_partitions_not_fetched_for_ten_minutes) {
  io::manual_clock clock(1'000'000);
  fetch_positions positions(clock);
  const std::vector<fetched> both{{"t", 0, 1}, {"t", 1, 1}};
  const std::vector<fetched> one{{"t", 0, 2}};
  positions.record("gone", "/h", false, both);
  positions.record("stays", "/h", false, both);
  clock.advance(9 * 60 * 1000);
  positions.record("stays", "/h", false, one);
  clock.advance(2 * 60 * 1000);  // "gone" and partition 1 of "stays" are 11 minutes old

  const auto all = positions.snapshot();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].client_id, "stays");
  EXPECT_EQ(all[0].partition, 0);
  EXPECT_EQ(all[0].offset, 2);
  EXPECT_EQ(positions.client_count(), 1u);
}

TEST(fetch_positions, concurrent_fetches_and_snapshots_do_not_interfere) {
  io::manual_clock clock(1000);
  fetch_positions positions(clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&positions, t] {
      const std::string client = "c" + std::to_string(t);
      for (int i = 0; i < 2000; ++i) {
        const std::vector<fetched> f{{"t", i % 3, i}};
        positions.record(client, "/h", false, f);
      }
    });
  }
  for (int i = 0; i < 50; ++i) (void)positions.snapshot();
  for (auto& t : threads) t.join();
  const auto all = positions.snapshot();
  EXPECT_EQ(all.size(), 12u);
  for (const auto& p : all) EXPECT_GE(p.offset, 1997);
}

class fetch_positions_handler : public ::testing::Test {
 protected:
  fetch_positions_handler() { services.create_topic("t", 2); }
  test_broker services;
};

TEST_F(fetch_positions_handler, a_consumer_fetch_records_its_offset_and_isolation_level_under_its_client_and_host) {
  ASSERT_EQ(produce(services, "t", 1, make_batch(3)).error_code, 0);
  auto req = fetch_request_for("t", 1, 2);
  req.isolation_level = 1;
  fetch(services, req, 11);
  auto all = services.services().consumer_positions().snapshot();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].client_id, "broker-test");
  EXPECT_EQ(all[0].host, "/test");  // as JoinGroup reports the member's client host
  EXPECT_EQ(all[0].topic, "t");
  EXPECT_EQ(all[0].partition, 1);
  EXPECT_EQ(all[0].offset, 2);
  EXPECT_TRUE(all[0].read_committed);

  fetch(services, fetch_request_for("t", 1, 3), 3);  // v3 has no isolation level: read_uncommitted
  all = services.services().consumer_positions().snapshot();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].offset, 3);
  EXPECT_FALSE(all[0].read_committed);
}

TEST_F(fetch_positions_handler, replica_fetches_and_unknown_partitions_are_not_recorded) {
  auto replica = fetch_request_for("t", 0, 0);
  replica.replica_id = 2;
  fetch(services, replica, 11);
  auto replica_v15 = fetch_request_for("t", 0, 0);
  replica_v15.replica_state.replica_id = 2;
  replica_v15.topics[0].topic_id = services.logs().find_topic("t")->id;
  fetch(services, replica_v15, 15);
  fetch(services, fetch_request_for("t", 7, 0), 11);
  fetch(services, fetch_request_for("nope", 0, 0), 11);
  EXPECT_TRUE(services.services().consumer_positions().snapshot().empty());
}

}  // namespace
}  // namespace spate::broker
