// Members on their own threads against one coordinator driven by its real timer thread: the
// locking and the out-of-lock callbacks hold up when joins, syncs, heartbeats, commits, leaves and
// deadline processing interleave. CI runs it under TSan and under ASan+UBSan.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "coordinator_test_support.h"
#include "io/deadline_thread.h"

namespace spate::group::test {
namespace {

using namespace std::chrono_literals;

template <typename T>
T await(std::future<T>& f) {
  if (f.wait_for(20s) != std::future_status::ready) throw std::runtime_error("no answer within 20 s");
  return f.get();
}

// One member's life: join (with KIP-394's member-id round trip), sync, then heartbeat and commit
// until it has made `commits` commits, rejoining whenever the group rebalances; then leave.
void member_life(coordinator& c, int index, int commits, std::atomic<int>& unexpected) {
  std::string member_id;
  int done = 0;
  while (done < commits) {
    join_request req;
    req.group_id = "g";
    req.member_id = member_id;
    req.protocol_type = "consumer";
    req.protocols = {{"range", bytes("m")}};
    req.session_timeout_ms = 10000;
    req.rebalance_timeout_ms = 10000;
    req.client_id = "c" + std::to_string(index);
    req.require_known_member_id = true;
    std::promise<join_result> joined;
    auto joined_future = joined.get_future();
    c.join(req, [&joined](join_result r) { joined.set_value(std::move(r)); });
    auto j = await(joined_future);
    if (j.error == error_code::member_id_required) {
      member_id = j.member_id;
      continue;
    }
    if (j.error != error_code::none) {
      if (j.error != error_code::rebalance_in_progress) ++unexpected;
      continue;
    }
    member_id = j.member_id;
    sync_request s{.group_id = "g", .generation_id = j.generation_id, .member_id = member_id};
    if (j.leader == member_id) {
      for (const auto& m : j.members) s.assignments.emplace_back(m.member_id, bytes("a"));
    }
    std::promise<sync_result> synced;
    auto synced_future = synced.get_future();
    c.sync(s, [&synced](sync_result r) { synced.set_value(std::move(r)); });
    const auto sr = await(synced_future);
    if (sr.error != error_code::none) {
      if (sr.error != error_code::rebalance_in_progress) ++unexpected;
      continue;
    }
    while (done < commits) {
      const auto hb = c.heartbeat({"g", j.generation_id, member_id, std::nullopt});
      if (hb == error_code::rebalance_in_progress) break;
      if (hb != error_code::none) {
        ++unexpected;
        break;
      }
      commit_request cr{.group_id = "g", .generation_id = j.generation_id, .member_id = member_id};
      cr.offsets.push_back({{"t", index}, committed_offset{.offset = done + 1}});
      std::promise<commit_result> committed;
      auto committed_future = committed.get_future();
      c.commit(cr, [&committed](commit_result r) { committed.set_value(std::move(r)); });
      const auto result = await(committed_future);
      const auto e = result.error != error_code::none ? result.error : result.partition_errors.at(0);
      if (e == error_code::none) {
        ++done;
      } else if (e != error_code::rebalance_in_progress && e != error_code::illegal_generation) {
        ++unexpected;
        break;
      }
    }
  }
  const auto left = c.leave("g", {{member_id, std::nullopt}});
  if (left.member_errors.at(0) != error_code::none) ++unexpected;
}

TEST(coordinator_concurrency, members_on_threads_with_the_real_timer_end_in_an_empty_group) {
  fake_offsets_log log;
  coordinator_config config;
  config.initial_rebalance_delay_ms = 0;
  coordinator c(config, log, io::default_clock());
  io::deadline_thread timer(c);
  constexpr int members = 4;
  constexpr int commits = 200;
  std::atomic<int> unexpected{0};
  std::atomic<bool> stop_observer{false};
  // An observer reading the group state while it changes.
  std::thread observer([&] {
    while (!stop_observer.load()) {
      (void)c.describe("g");
      (void)c.list({});
      (void)c.fetch_offsets("g", std::nullopt, true);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < members; ++i) {
    threads.emplace_back([&, i] { member_life(c, i, commits, unexpected); });
  }
  for (auto& t : threads) t.join();
  stop_observer = true;
  observer.join();

  EXPECT_EQ(unexpected.load(), 0);
  const auto d = c.describe("g");
  EXPECT_EQ(d.state, "Empty");
  EXPECT_TRUE(d.members.empty());
  const auto offsets = c.fetch_offsets("g", std::nullopt, false);
  ASSERT_EQ(offsets.offsets.size(), static_cast<std::size_t>(members));
  for (const auto& o : offsets.offsets) EXPECT_EQ(o.offset, commits) << o.partition.partition;
}

}  // namespace
}  // namespace spate::group::test
