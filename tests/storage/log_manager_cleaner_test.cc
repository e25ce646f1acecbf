// log_manager's log cleaner: choosing the dirtiest due log, progress kept in
// cleaner-offset-checkpoint across restarts, status, concurrent cleaner threads, topic deletion.
#include <gtest/gtest.h>

#include <thread>

#include "compaction_helpers.h"
#include "storage/checkpoint.h"
#include "storage/file_names.h"
#include "storage/log_manager.h"

namespace spate::storage::test {
namespace {

struct CleanerManager : ::testing::Test {
  temp_dir tmp;
  io::fault_injecting_file_system fs;
  io::manual_clock clock;
  io::blocking_pool pool{2, "test-cleaner"};
  io_throttle unlimited{0};
  const config_overrides compacted{
      {"cleanup.policy", "compact"}, {"segment.bytes", "1024"}, {"flush.messages", "9223372036854775807"}};

  std::unique_ptr<log_manager> open() {
    storage_config cfg;
    cfg.data_dir = tmp.path() / "data";
    auto m = log_manager::open(cfg, {&fs, &clock, &pool});
    EXPECT_TRUE(m) << (m ? "" : to_string(m.error()));
    return m ? std::move(*m) : nullptr;
  }
  void fill(partition_log& log, int records, int keys) {
    for (int i = 0; i < records; ++i) {
      batch_spec s;
      s.records = {{"k" + std::to_string(i % keys), "v" + std::to_string(i)}};
      s.timestamp = clock.now_ms() - 1000;
      auto b = build(s);
      ASSERT_TRUE(log.append(b));
    }
    ASSERT_TRUE(log.flush());
  }
};

TEST_F(CleanerManager, cleans_the_dirtiest_due_log_first_and_remembers_its_progress_across_a_restart) {
  auto m = open();
  ASSERT_TRUE(m->create_topic("a", 1, compacted));
  ASSERT_TRUE(m->create_topic("b", 1, compacted));
  ASSERT_TRUE(m->create_topic("plain", 1, {{"segment.bytes", "1024"}}));
  fill(*m->get("a", 0), 60, 5);
  fill(*m->get("plain", 0), 60, 5);
  // "a" gets a clean part first, so "b" (all dirty) is the dirtiest afterwards.
  auto a0 = m->clean_next(test_settings(), unlimited);
  ASSERT_TRUE(a0 && *a0);
  EXPECT_EQ((*a0)->topic, "a");
  fill(*m->get("a", 0), 20, 5);
  fill(*m->get("b", 0), 60, 5);
  ASSERT_LT(m->get("a", 0)->cleanable((*a0)->end_offset).dirty_ratio, 1.0);

  auto first = m->clean_next(test_settings(), unlimited);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->topic, "b");
  EXPECT_DOUBLE_EQ((*first)->dirty_ratio, 1.0);
  auto states = m->cleaner_states();
  ASSERT_EQ(states.size(), 2u) << "only compacted logs";
  const auto& b = states[0].topic == "b" ? states[0] : states[1];
  EXPECT_EQ(b.first_dirty_offset, (*first)->end_offset);
  EXPECT_GT(b.first_dirty_offset, 0);
  EXPECT_EQ(b.cleanings, 1u);
  EXPECT_EQ(b.bytes_read, (*first)->bytes_read);
  EXPECT_EQ(b.records_removed, (*first)->records_removed);
  EXPECT_EQ(b.last_cleaning_ms, clock.now_ms());
  EXPECT_FALSE(b.in_progress);

  // Kafka's checkpoint format, per partition the first dirty offset.
  const auto cp = read_checkpoint(fs, tmp.path() / "data" / cleaner_checkpoint_file);
  ASSERT_EQ(cp.count({"b", 0}), 1u);
  EXPECT_EQ(cp.at({"b", 0}), (*first)->end_offset);

  auto second = m->clean_next(test_settings(), unlimited);
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->topic, "a");
  EXPECT_EQ((*second)->first_dirty_offset, (*a0)->end_offset) << "continues where it stopped";
  auto none = m->clean_next(test_settings(), unlimited);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none) << "nothing is due";

  ASSERT_TRUE(m->close());
  m.reset();
  m = open();
  for (const auto& s : m->cleaner_states()) {
    EXPECT_EQ(s.first_dirty_offset, s.topic == "a" ? (*second)->end_offset : (*first)->end_offset) << s.topic;
    EXPECT_EQ(s.dirty_ratio, 0.0) << s.topic;
  }
  auto after_restart = m->clean_next(test_settings(), unlimited);
  ASSERT_TRUE(after_restart);
  EXPECT_FALSE(*after_restart) << "progress survived the restart";

  ASSERT_TRUE(m->delete_topic("b"));
  const auto cp2 = read_checkpoint(fs, tmp.path() / "data" / cleaner_checkpoint_file);
  EXPECT_EQ(cp2.count({"b", 0}), 0u);
  EXPECT_EQ(cp2.count({"a", 0}), 1u);
}

TEST_F(CleanerManager, a_log_whose_cleaning_fails_is_marked_uncleanable_and_skipped) {
  auto m = open();
  ASSERT_TRUE(m->create_topic("wide", 1, compacted));
  auto& log = *m->get("wide", 0);
  for (int i = 0; i < 10; ++i) {
    batch_spec s;
    for (int k = 0; k < 20; ++k) s.records.push_back({"key-" + std::to_string(i) + "-" + std::to_string(k), "v"});
    s.timestamp = clock.now_ms() - 1000;
    auto b = build(s);
    ASSERT_TRUE(log.append(b));
  }
  ASSERT_TRUE(log.flush());
  // 16 slots hold 14 keys: not even one batch of 20.
  const auto tiny = test_settings(16 * 24);
  auto r = m->clean_next(tiny, unlimited);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_config);
  const auto states = m->cleaner_states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_TRUE(states[0].uncleanable);
  auto again = m->clean_next(test_settings(), unlimited);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "skipped until a restart";
}

TEST_F(CleanerManager, concurrent_cleaner_threads_clean_distinct_logs) {
  auto m = open();
  constexpr int topics = 6;
  for (int t = 0; t < topics; ++t) {
    const auto name = "t" + std::to_string(t);
    ASSERT_TRUE(m->create_topic(name, 1, compacted));
    fill(*m->get(name, 0), 40 + 10 * t, 4);
  }
  std::mutex mu;
  std::vector<std::string> cleaned;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&] {
      for (;;) {
        auto r = m->clean_next(test_settings(), unlimited);
        ASSERT_TRUE(r);
        if (!*r) return;
        std::lock_guard lock(mu);
        cleaned.push_back((*r)->topic);
      }
    });
  for (auto& t : threads) t.join();
  std::sort(cleaned.begin(), cleaned.end());
  EXPECT_EQ(cleaned.size(), static_cast<std::size_t>(topics));
  EXPECT_EQ(std::unique(cleaned.begin(), cleaned.end()), cleaned.end()) << "a log cleaned twice";
  for (const auto& s : m->cleaner_states()) EXPECT_EQ(s.cleanings, 1u) << s.topic;
}

TEST_F(CleanerManager, deleting_a_topic_stops_its_cleaning_and_waits_for_it) {
  auto m = open();
  ASSERT_TRUE(m->create_topic("doomed", 1, compacted));
  fill(*m->get("doomed", 0), 200, 5);
  std::atomic<bool> in_cleaning{false};
  std::atomic<bool> release{false};
  // The cleaner sleeps in its throttle until the deletion has started.
  io_throttle slow(
      1.0, [] { return std::int64_t{0}; },
      [&](std::int64_t) {
        in_cleaning = true;
        while (!release) std::this_thread::yield();
      });
  result<std::optional<cleaning_stats>> r = std::optional<cleaning_stats>{};
  std::thread cleaner([&] { r = m->clean_next(test_settings(), slow); });
  while (!in_cleaning) std::this_thread::yield();
  std::atomic<bool> deleted{false};
  std::thread deleter([&] {
    ASSERT_TRUE(m->delete_topic("doomed"));
    deleted = true;
  });
  // The topic disappears at once, but delete_topic waits for the cleaner (it cannot finish while
  // the cleaner is held).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (m->find_topic("doomed") != std::nullopt && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_TRUE(m->find_topic("doomed") == std::nullopt);
  EXPECT_FALSE(deleted) << "delete_topic returned while its log was being cleaned";
  release = true;
  cleaner.join();
  deleter.join();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r) << "the aborted cleaning reports nothing";
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "data" / "doomed-0"));
}

}  // namespace
}  // namespace spate::storage::test
