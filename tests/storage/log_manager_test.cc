#include "storage/log_manager.h"

#include <gtest/gtest.h>

#include <array>

#include "helpers.h"
#include "metrics/registry.h"
#include "storage/file_names.h"

namespace spate::storage::test {
namespace {

struct manager : ::testing::Test {
  temp_dir tmp;
  io::fault_injecting_file_system fs;
  io::manual_clock clock;
  io::blocking_pool pool{2, "test-mgr"};

  result<std::unique_ptr<log_manager>> open() {
    storage_config cfg;
    cfg.data_dir = tmp.path() / "data";
    cfg.log_defaults.index_interval_bytes = 256;
    return log_manager::open(cfg, {&fs, &clock, &pool});
  }
  std::unique_ptr<log_manager> open_ok() {
    auto m = open();
    EXPECT_TRUE(m) << (m ? "" : to_string(m.error()));
    return m ? std::move(*m) : nullptr;
  }
  std::filesystem::path data() const { return tmp.path() / "data"; }
};

TEST_F(manager, a_second_open_of_the_same_data_dir_is_refused_by_the_lock_file) {
  auto first = open_ok();
  auto second = open();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), errc::data_dir_locked);
  EXPECT_TRUE(std::filesystem::exists(data() / ".lock"));
  first.reset();
  EXPECT_TRUE(open());  // released with the first manager
}

TEST_F(manager, create_topic_lays_out_kafkas_directories) {
  auto m = open_ok();
  auto t = m->create_topic("orders", 3, {{"segment.bytes", "1048576"}});
  ASSERT_TRUE(t);
  for (int p = 0; p < 3; ++p) {
    EXPECT_TRUE(std::filesystem::exists(data() / ("orders-" + std::to_string(p)) / "00000000000000000000.log"));
    EXPECT_TRUE(std::filesystem::exists(data() / ("orders-" + std::to_string(p)) / "partition.metadata"));
    ASSERT_TRUE(m->get("orders", p));
  }
  EXPECT_FALSE(m->get("orders", 3));
  EXPECT_EQ(m->topic_config("orders")->segment_bytes, 1048576);
  EXPECT_EQ(m->create_topic("orders", 1).error(), errc::topic_exists);
  EXPECT_EQ(m->create_topic("bad/name", 1).error(), errc::invalid_topic);
  EXPECT_EQ(m->create_topic("x", 0).error(), errc::invalid_partitions);
  EXPECT_EQ(m->create_topic("y", 1, {{"retention.ms", "soon"}}).error(), errc::invalid_config);
  EXPECT_FALSE(m->find_topic("y"));
}

TEST_F(manager, topics_and_data_survive_a_clean_restart_without_recovery) {
  topic_info created;
  {
    auto m = open_ok();
    created = *m->create_topic("orders", 2, {{"retention.ms", "1000"}, {"cleanup.policy", "delete"}});
    auto b = make_batch(3, clock.now_ms());
    ASSERT_TRUE(m->get("orders", 1)->append(b));
    ASSERT_TRUE(m->close());
    EXPECT_TRUE(std::filesystem::exists(data() / ".kafka_cleanshutdown"));
  }
  auto m = open_ok();
  EXPECT_TRUE(m->opened_after_clean_shutdown());
  EXPECT_FALSE(std::filesystem::exists(data() / ".kafka_cleanshutdown"));  // a crash now is unclean
  auto t = m->find_topic("orders");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, created);
  EXPECT_EQ(model::uuid_from_string(model::to_string(t->id)), t->id);
  EXPECT_EQ(model::to_string(t->id).size(), 22u);
  EXPECT_EQ(m->get("orders", 1)->log_end_offset(), 3);
  EXPECT_EQ(m->get("orders", 1)->high_watermark(), 3);
  EXPECT_EQ(m->get("orders", 1)->load_stats().segments_recovered, 0u);
  EXPECT_EQ(m->topic_config("orders")->retention_ms, 1000);
}

TEST_F(manager, an_unclean_stop_is_recovered_from_the_checkpointed_recovery_point) {
  {
    auto m = open_ok();
    ASSERT_TRUE(m->create_topic("t", 1));
    auto log = m->get("t", 0);
    for (int i = 0; i < 50; ++i) {
      auto b = make_batch(1, clock.now_ms());
      ASSERT_TRUE(log->append(b));
    }
    ASSERT_TRUE(log->flush());
    ASSERT_TRUE(m->checkpoint());
    auto b = make_batch(1, clock.now_ms());
    ASSERT_TRUE(log->append(b));
    pool.drain();
  }  // no close(): unclean
  auto m = open_ok();
  EXPECT_FALSE(m->opened_after_clean_shutdown());
  auto log = m->get("t", 0);
  EXPECT_EQ(log->log_end_offset(), 51);
  EXPECT_EQ(log->load_stats().bytes_validated, make_batch(1, 0).size());  // only past the checkpoint
}

TEST_F(manager, delete_topic_removes_metadata_and_directories) {
  auto m = open_ok();
  ASSERT_TRUE(m->create_topic("gone", 2));
  auto held = m->get("gone", 0);
  ASSERT_TRUE(m->delete_topic("gone"));
  pool.drain();
  EXPECT_FALSE(m->find_topic("gone"));
  EXPECT_FALSE(m->get("gone", 0));
  for (const auto& e : std::filesystem::directory_iterator(data()))
    EXPECT_EQ(e.path().filename().string().find("gone"), std::string::npos) << e.path();
  EXPECT_EQ(m->delete_topic("gone").error(), errc::unknown_topic_or_partition);
  auto b = make_batch(1, 0);
  EXPECT_FALSE(held->append(b));  // the closed log refuses writes
  ASSERT_TRUE(m->create_topic("gone", 1));  // the name is free again
  ASSERT_TRUE(m->close());
  m.reset();
  m = open_ok();
  EXPECT_EQ(m->find_topic("gone")->partitions, 1);
}

TEST_F(manager, add_partitions_grows_a_topic_persistently) {
  {
    auto m = open_ok();
    ASSERT_TRUE(m->create_topic("t", 1));
    EXPECT_EQ(m->add_partitions("t", 1).error(), errc::invalid_partitions);
    ASSERT_TRUE(m->add_partitions("t", 4));
    EXPECT_TRUE(m->get("t", 3));
    EXPECT_EQ(m->add_partitions("nope", 4).error(), errc::unknown_topic_or_partition);
  }
  auto m = open_ok();
  EXPECT_EQ(m->find_topic("t")->partitions, 4);
  EXPECT_TRUE(m->get("t", 3));
}

TEST_F(manager, delete_records_is_persisted_in_the_log_start_offset_checkpoint) {
  {
    auto m = open_ok();
    ASSERT_TRUE(m->create_topic("t", 1));
    auto log = m->get("t", 0);
    for (int i = 0; i < 5; ++i) {
      auto b = make_batch(2, clock.now_ms());
      ASSERT_TRUE(log->append(b));
    }
    ASSERT_TRUE(log->flush());
    auto lso = m->delete_records("t", 0, 7);
    ASSERT_TRUE(lso);
    EXPECT_EQ(*lso, 7);
  }  // even an unclean stop keeps it: it was persisted before returning
  auto m = open_ok();
  EXPECT_EQ(m->get("t", 0)->log_start_offset(), 7);
  EXPECT_EQ(m->get("t", 0)->log_end_offset(), 10);
}

TEST_F(manager, retention_runs_over_every_log_and_persists_the_new_start) {
  {
    auto m = open_ok();
    const auto seg = std::to_string(make_batch(1, 0).size());
    ASSERT_TRUE(m->create_topic("t", 1, {{"segment.bytes", seg}, {"retention.ms", "1000"}}));
    auto log = m->get("t", 0);
    for (int i = 0; i < 3; ++i) {
      auto b = make_batch(1, clock.now_ms());
      ASSERT_TRUE(log->append(b));
    }
    ASSERT_TRUE(log->flush());
    clock.advance(5000);
    EXPECT_EQ(m->enforce_retention()->segments_deleted, 2u);
    ASSERT_TRUE(m->close());
  }
  auto m = open_ok();
  EXPECT_EQ(m->get("t", 0)->log_start_offset(), 2);
}

TEST_F(manager, alter_config_applies_to_live_logs_and_persists) {
  {
    auto m = open_ok();
    ASSERT_TRUE(m->create_topic("t", 2));
    ASSERT_TRUE(m->alter_topic_config("t", {{"flush.messages", "9223372036854775807"}}));
    EXPECT_FALSE(m->get("t", 1)->config().sync_before_ack());
  }
  auto m = open_ok();
  EXPECT_FALSE(m->get("t", 0)->config().sync_before_ack());
}

TEST_F(manager, partition_directories_without_topic_metadata_are_refused) {
  std::filesystem::create_directories(data() / "orphan-0");
  auto m = open();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error(), errc::corrupt_log);
}

TEST_F(manager, a_broker_killed_while_creating_its_first_topic_starts_again_without_it) {
  {
    auto m = open_ok();
    // What a kill -9 leaves when it lands after a partition directory was made and before the
    // topic's metadata was written: the data directory's (empty) metadata is already on disk.
    EXPECT_TRUE(std::filesystem::exists(data() / topics_file));
    std::filesystem::create_directories(data() / "first-0");
  }
  auto m = open_ok();
  pool.drain();
  EXPECT_FALSE(std::filesystem::exists(data() / "first-0"));
  EXPECT_FALSE(m->find_topic("first"));
  EXPECT_TRUE(m->create_topic("first", 1));
}

TEST_F(manager, stray_partition_directories_of_deleted_topics_are_removed_at_start) {
  {
    auto m = open_ok();
    ASSERT_TRUE(m->create_topic("keep", 1));
    ASSERT_TRUE(m->close());
  }
  std::filesystem::create_directories(data() / "dropped-0");  // a deletion that crashed midway
  std::filesystem::create_directories(data() / "dropped-1.abc-delete");
  auto m = open_ok();
  pool.drain();
  EXPECT_FALSE(std::filesystem::exists(data() / "dropped-0"));
  EXPECT_FALSE(std::filesystem::exists(data() / "dropped-1.abc-delete"));
  EXPECT_TRUE(m->get("keep", 0));
}

}  // namespace
}  // namespace spate::storage::test

namespace spate::storage::test {
namespace {

TEST_F(manager, flush_rounds_record_their_fsync_time_and_the_appends_they_made_durable) {
  const std::array<double, 2> bounds{1.0, 4.0};
  metrics::histogram fsync_seconds(bounds, 1e9);
  metrics::histogram batches(bounds, 1.0);
  storage_config cfg;
  cfg.data_dir = data();
  cfg.log_defaults.flush_messages = 1000;  // appends wait for an explicit flush
  log_manager::dependencies deps{&fs, &clock, &pool};
  deps.fsync_seconds = &fsync_seconds;
  deps.group_commit_batches = &batches;
  auto m = log_manager::open(cfg, deps);
  ASSERT_TRUE(m);
  ASSERT_TRUE((*m)->create_topic("orders", 1));
  auto log = (*m)->get("orders", 0);
  for (int i = 0; i < 3; ++i) {
    auto b = make_batch(1, clock.now_ms());
    ASSERT_TRUE(log->append(b));
  }
  ASSERT_TRUE(log->flush());
  const auto counts = batches.bucket_counts();
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{0, 1, 0}));  // one round of three appends
  EXPECT_EQ(batches.sum(), 3);
  std::uint64_t rounds = 0;
  for (auto c : fsync_seconds.bucket_counts()) rounds += c;
  EXPECT_GE(rounds, 1u);
}

}  // namespace
}  // namespace spate::storage::test
