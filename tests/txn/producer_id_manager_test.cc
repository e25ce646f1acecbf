#include "txn/producer_id_manager.h"

#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "../storage/helpers.h"
#include "io/fault_injection.h"
#include "io/file.h"

namespace spate::txn {
namespace {

// Queues background tasks until the test runs them, so that allocate() is seen not to wait.
struct queued_executor {
  std::shared_ptr<std::deque<std::function<void()>>> tasks = std::make_shared<std::deque<std::function<void()>>>();
  producer_id_manager::executor fn() {
    return [tasks = tasks](std::function<void()> task) { tasks->push_back(std::move(task)); };
  }
  void run_all() {
    while (!tasks->empty()) {
      auto task = std::move(tasks->front());
      tasks->pop_front();
      task();
    }
  }
};

producer_id_manager::executor inline_executor() {
  return [](std::function<void()> task) { task(); };
}

struct producer_ids : ::testing::Test {
  storage::test::temp_dir tmp;
  io::file_system& fs = io::posix_file_system();

  std::unique_ptr<producer_id_manager> open(producer_id_manager::executor run = inline_executor()) {
    auto m = producer_id_manager::open(fs, tmp.path(), std::move(run));
    EXPECT_TRUE(m) << (m ? "" : to_string(m.error()));
    return m ? std::move(*m) : nullptr;
  }
  std::string file_text() const {
    std::ifstream in(producer_id_block_path(tmp.path()));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void write_file(const std::string& text) const {
    std::ofstream out(producer_id_block_path(tmp.path()), std::ios::trunc);
    out << text;
  }
  static std::int64_t next(producer_id_manager& m) {
    auto id = m.allocate();
    EXPECT_TRUE(id) << (id ? "" : to_string(id.error()));
    return id ? *id : -1;
  }
};

TEST_F(producer_ids, a_fresh_directory_starts_at_0_with_two_blocks_reserved) {
  auto m = open();
  ASSERT_TRUE(m);
  EXPECT_EQ(producer_id_block_path(tmp.path()), tmp.path() / "producer-id-block");
  EXPECT_EQ(file_text(), "{\"next_block_start\":2000,\"version\":1}\n");
  EXPECT_EQ(m->reserved_end(), 2000);
  EXPECT_EQ(next(*m), 0);
  EXPECT_EQ(next(*m), 1);
  EXPECT_EQ(next(*m), 2);
}

TEST_F(producer_ids, a_restart_never_hands_out_an_id_again) {
  std::set<std::int64_t> seen;
  for (int run = 0; run < 3; ++run) {
    auto m = open();
    ASSERT_TRUE(m);
    // Use a varying part of the blocks, sometimes crossing into the next one.
    for (int i = 0; i < 700 * (run + 1); ++i) {
      const auto id = next(*m);
      EXPECT_TRUE(seen.insert(id).second) << "id " << id << " handed out twice (run " << run << ")";
    }
  }
  EXPECT_EQ(seen.size(), 700u + 1400u + 2100u);
}

TEST_F(producer_ids, running_out_of_the_current_block_switches_to_the_reserved_one_without_waiting) {
  queued_executor background;
  auto m = open(background.fn());
  ASSERT_TRUE(m);
  for (std::int64_t i = 0; i < producer_id_manager::block_size; ++i) ASSERT_EQ(next(*m), i);
  EXPECT_TRUE(background.tasks->empty());
  // The switch hands out the next block's first id at once and asks for another block.
  EXPECT_EQ(next(*m), producer_id_manager::block_size);
  EXPECT_EQ(background.tasks->size(), 1u);
  EXPECT_EQ(m->reserved_end(), 2000);  // not written yet
  background.run_all();
  EXPECT_EQ(m->reserved_end(), 3000);
  EXPECT_EQ(file_text(), "{\"next_block_start\":3000,\"version\":1}\n");
  for (std::int64_t i = 1001; i < 3000; ++i) ASSERT_EQ(next(*m), i);
}

TEST_F(producer_ids, both_blocks_used_up_before_the_reservation_is_durable_is_a_retriable_error) {
  queued_executor background;
  auto m = open(background.fn());
  ASSERT_TRUE(m);
  for (std::int64_t i = 0; i < 2 * producer_id_manager::block_size; ++i) ASSERT_EQ(next(*m), i);
  const auto refused = m->allocate();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), producer_id_errc::not_ready);
  EXPECT_EQ(background.tasks->size(), 1u);  // one reservation in flight, not one per attempt
  background.run_all();
  EXPECT_EQ(next(*m), 2000);
}

TEST_F(producer_ids, a_failed_reservation_is_tried_again_and_ids_stay_unique) {
  io::fault_injecting_file_system faulty(fs);
  queued_executor background;
  auto opened = producer_id_manager::open(faulty, tmp.path(), background.fn());
  ASSERT_TRUE(opened);
  auto& m = **opened;
  for (std::int64_t i = 0; i <= producer_id_manager::block_size; ++i) ASSERT_EQ(next(m), i);
  faulty.set_sync_error(true);
  background.run_all();  // the write of the third block fails
  EXPECT_EQ(m.reserved_end(), 2000);
  for (std::int64_t i = 1001; i < 2000; ++i) ASSERT_EQ(next(m), i);
  EXPECT_FALSE(m.allocate());
  faulty.set_sync_error(false);
  background.run_all();  // the retry, asked for by the first allocate() after the failure
  EXPECT_EQ(m.reserved_end(), 3000);
  EXPECT_EQ(next(m), 2000);
  // And the next run starts past everything reserved.
  opened->reset();
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(next(*again), 3000);
}

TEST_F(producer_ids, a_corrupt_file_refuses_to_open) {
  for (const std::string text : {"", "garbage", "{\"version\":2,\"next_block_start\":0}",
                                 "{\"version\":1,\"next_block_start\":-5}", "{\"version\":1}",
                                 "{\"version\":1,\"next_block_start\":\"12\"}", "[1,2]",
                                 "{\"version\":1,\"next_block_start\":9223372036854775807}"}) {
    write_file(text);
    auto m = producer_id_manager::open(fs, tmp.path(), inline_executor());
    ASSERT_FALSE(m) << text;
    EXPECT_EQ(m.error(), producer_id_errc::corrupt_file) << text;
    EXPECT_EQ(file_text(), text);  // left as it was, for the operator
  }
}

TEST_F(producer_ids, an_existing_file_is_continued_from) {
  write_file("{\"version\":1,\"next_block_start\":123456}");
  auto m = open();
  ASSERT_TRUE(m);
  EXPECT_EQ(next(*m), 123456);
  EXPECT_EQ(m->reserved_end(), 125456);
}

TEST_F(producer_ids, an_unreadable_or_unwritable_file_is_an_io_error) {
  std::filesystem::create_directory(producer_id_block_path(tmp.path()));
  auto m = producer_id_manager::open(fs, tmp.path(), inline_executor());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error(), producer_id_errc::io_error);

  auto missing = producer_id_manager::open(fs, tmp.path() / "no-such-dir", inline_executor());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), producer_id_errc::io_error);
}

TEST_F(producer_ids, concurrent_allocations_are_unique) {
  auto m = open();
  ASSERT_TRUE(m);
  constexpr int threads = 4;
  constexpr int per_thread = 1500;
  std::vector<std::vector<std::int64_t>> got(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (got[t].size() < per_thread) {
        if (auto id = m->allocate()) got[t].push_back(*id);
      }
    });
  }
  for (auto& w : workers) w.join();
  std::set<std::int64_t> all;
  for (const auto& ids : got) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), std::size_t{threads * per_thread});
}

}  // namespace
}  // namespace spate::txn
