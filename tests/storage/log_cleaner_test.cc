// The log cleaner on one partition log: what survives a cleaning (latest values, offsets, gaps),
// tombstones and markers with the delete horizon, aborted transactions, producer state across a
// restart, a full offset map, and cleanings racing retention and appends.
#include <gtest/gtest.h>

#include <set>

#include "compaction_helpers.h"
#include "storage/file_names.h"
#include "storage/offset_map.h"
#include "storage/topic_config_table.h"

namespace spate::storage::test {
namespace {

struct CleanerBasics : log_fixture {
  io_throttle unlimited{0};
  std::int64_t next_ts() { return clock.now_ms() - 1'000'000 + (++_tick); }

  void put(partition_log& log, const std::vector<kv>& records,
           model::compression_type c = model::compression_type::none) {
    batch_spec s;
    s.records = records;
    s.timestamp = next_ts();
    s.compression = c;
    auto b = build(s);
    auto r = log.append(b);
    ASSERT_TRUE(r) << to_string(r.error());
  }
  // Appends filler records until the active segment rolls.
  void roll(partition_log& log) {
    const auto n = log.segment_count();
    for (int i = 0; log.segment_count() == n; ++i) put(log, {{"filler-" + std::to_string(_tick), "x"}});
  }
  std::optional<cleaning_stats> clean(partition_log& log, std::int64_t first_dirty = 0,
                                      cleaner_settings settings = test_settings()) {
    EXPECT_TRUE(log.flush());
    auto r = log.clean(first_dirty, settings, unlimited);
    EXPECT_TRUE(r) << to_string(r.error());
    return r ? *r : std::nullopt;
  }
  // Every batch's [base, last] offsets, read raw (aborted and control batches included).
  std::vector<std::pair<std::int64_t, std::int64_t>> batch_ranges(partition_log& log) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    base::byte_buffer buf;
    for (std::int64_t o = log.log_start_offset(); o < log.log_end_offset();) {
      auto r = log.read(o, 1 << 20, log.log_end_offset(), &buf);
      if (!r || r->records.empty()) break;
      for (auto b : batches_of(r->records)) {
        auto h = model::parse_batch_header(b);
        out.emplace_back(h->base_offset, h->last_offset());
      }
      o = r->next_offset;
    }
    return out;
  }
  // Every record in the log, aborted ones included (read_uncommitted).
  std::vector<seen_record> read_all(partition_log& log) {
    std::vector<seen_record> out;
    base::byte_buffer buf;
    for (std::int64_t o = log.log_start_offset(); o < log.log_end_offset();) {
      auto r = log.read(o, 1 << 20, log.log_end_offset(), &buf);
      if (!r || r->records.empty()) break;
      for (auto b : batches_of(r->records)) {
        auto v = model::validate_batch(b, model::validation_level::stored);
        if (!v || v->is_control()) continue;
        auto records = model::decode_records(*v, 1 << 24);
        EXPECT_TRUE(records.has_value());
        if (!records) continue;
        for (auto& rec : *records) {
          seen_record s{rec.offset, text(rec.key), std::nullopt};
          if (rec.value) s.value = text(rec.value);
          out.push_back(s);
        }
      }
      o = r->next_offset;
    }
    return out;
  }

 private:
  std::int64_t _tick = 0;
};

TEST_F(CleanerBasics, keeps_the_latest_value_of_every_key_at_its_original_offset) {
  auto log = open_log(compact_config());
  std::map<std::string, std::string> want;
  std::map<std::string, std::int64_t> latest_offset;
  for (int i = 0; i < 120; ++i) {
    const auto key = "k" + std::to_string(i % 7);
    const auto value = "v" + std::to_string(i);
    latest_offset[key] = log->log_end_offset();
    put(*log, {{key, value}}, i % 3 == 0 ? model::compression_type::lz4 : model::compression_type::none);
    want[key] = value;
  }
  const auto before = read_committed(*log);
  const auto segments_before = log->segment_count();
  ASSERT_GT(segments_before, 3u);
  auto stats = clean(*log);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->first_offset, 0);
  EXPECT_EQ(stats->end_offset, log->segments().back()->base_offset());
  EXPECT_GT(stats->records_removed, 0u);
  EXPECT_LT(stats->bytes_written, stats->bytes_read);
  // Grouping goes by the input sizes (Kafka's rule): the shrunken segments merge next time.
  EXPECT_EQ(log->segment_count(), segments_before);

  const auto after = read_committed(*log);
  EXPECT_EQ(materialise(after), want);
  EXPECT_EQ(materialise(after), materialise(before));
  // Below the cleaned end each key appears once, at the offset it was written at.
  std::set<std::string> keys;
  for (const auto& r : after) {
    const auto& orig = before[static_cast<std::size_t>(r.offset)];
    EXPECT_EQ(orig, r) << "record moved or changed";
    if (r.offset < stats->end_offset) {
      EXPECT_TRUE(keys.insert(r.key).second) << r.key << " twice";
    }
  }
  for (const auto& [k, o] : latest_offset) {
    const auto offset = o;  // (clang 14 cannot capture a structured binding)
    EXPECT_TRUE(std::any_of(after.begin(), after.end(), [&](const seen_record& r) { return r.offset == offset; })) << k;
  }

  roll(*log);
  auto second = clean(*log, stats->end_offset);
  ASSERT_TRUE(second);
  EXPECT_LT(second->segments_out, second->segments_in);
  EXPECT_LT(log->segment_count(), segments_before);
  const auto merged = read_committed(*log);
  auto merged_state = materialise(merged);
  std::erase_if(merged_state, [](const auto& kv) { return kv.first.starts_with("filler-"); });
  EXPECT_EQ(merged_state, want);
  for (const auto& r : merged)
    if (r.offset < static_cast<std::int64_t>(before.size())) {
      EXPECT_EQ(before[static_cast<std::size_t>(r.offset)], r);
    }

  // The same after a restart.
  ASSERT_TRUE(log->close());
  log.reset();
  log = open_log(compact_config());
  EXPECT_EQ(read_committed(*log), merged);
}

TEST_F(CleanerBasics, a_fetch_from_an_offset_compacted_away_returns_the_next_batch_and_lookups_work_with_gaps) {
  auto log = open_log(compact_config());
  std::vector<std::int64_t> timestamps;
  for (int i = 0; i < 80; ++i) {
    timestamps.push_back(clock.now_ms() - 1'000'000 + 1000 * i);
    batch_spec s;
    s.records = {{"k" + std::to_string(i % 4), "v" + std::to_string(i)}};
    s.timestamp = timestamps.back();
    auto b = build(s);
    ASSERT_TRUE(log->append(b));
  }
  ASSERT_TRUE(clean(*log));
  const auto ranges = batch_ranges(*log);
  ASSERT_LT(ranges.size(), 80u);
  base::byte_buffer buf;
  for (std::int64_t o = 0; o < log->log_end_offset(); ++o) {
    auto r = log->read(o, 1, log->log_end_offset(), &buf);
    ASSERT_TRUE(r);
    ASSERT_FALSE(r->records.empty()) << o;
    auto h = model::parse_batch_header(r->records);
    const auto want = *std::find_if(ranges.begin(), ranges.end(), [&](const auto& rg) { return rg.second >= o; });
    EXPECT_EQ(h->base_offset, want.first) << "fetch from " << o;
  }
  // Time lookups land on the first surviving record at or after the time.
  const auto seen = read_committed(*log);
  for (int i = 0; i < 80; i += 3) {
    auto t = log->offset_for_timestamp(timestamps[static_cast<std::size_t>(i)], log->log_end_offset());
    ASSERT_TRUE(t && *t);
    const auto next = std::find_if(seen.begin(), seen.end(), [&](const seen_record& r) { return r.offset >= i; });
    ASSERT_NE(next, seen.end());
    EXPECT_EQ((*t)->offset, next->offset) << "timestamp of offset " << i;
  }
}

TEST_F(CleanerBasics, a_batch_losing_records_keeps_its_codec_and_producer_fields_and_an_untouched_one_its_bytes) {
  for (const auto ts_type : {model::timestamp_type::create_time, model::timestamp_type::log_append_time}) {
    SCOPED_TRACE(static_cast<int>(ts_type));
    std::filesystem::remove_all(dir());
    auto cfg = compact_config();
    cfg.message_timestamp_type = ts_type;
    auto log = open_log(cfg);
    auto raw_batch_at = [&](std::int64_t offset) {
      base::byte_buffer buf;
      auto r = log->read(offset, 1, log->log_end_offset(), &buf);
      EXPECT_TRUE(r && !r->records.empty());
      const auto b = batches_of(r->records).front();
      return base::byte_buffer(b.begin(), b.end());
    };
    batch_spec mixed;
    mixed.records = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
    mixed.timestamp = next_ts();
    mixed.compression = model::compression_type::zstd;
    mixed.producer_id = 42;
    mixed.epoch = 3;
    mixed.base_sequence = 0;
    auto bytes = build(mixed);
    ASSERT_TRUE(log->append(bytes));
    put(*log, {{"untouched", "x"}}, model::compression_type::lz4);
    const auto untouched = raw_batch_at(3);
    put(*log, {{"b", "newer"}});
    roll(*log);
    ASSERT_TRUE(clean(*log));

    const auto rebuilt = raw_batch_at(0);
    auto view = model::validate_batch(rebuilt, model::validation_level::stored);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->compression(), model::compression_type::zstd);
    EXPECT_EQ(view->ts_type(), ts_type);
    EXPECT_EQ(view->producer_id(), 42);
    EXPECT_EQ(view->producer_epoch(), 3);
    EXPECT_EQ(view->base_sequence(), 0);
    EXPECT_EQ(view->base_offset(), 0);
    EXPECT_EQ(view->last_offset_delta(), 2) << "lastOffsetDelta intact for the producer's sequence";
    EXPECT_EQ(view->record_count(), 2);
    auto records = model::decode_records(*view, 1 << 20);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ(text(records->at(0).key), "a");
    EXPECT_EQ(records->at(0).offset, 0);
    EXPECT_EQ(text(records->at(1).key), "c");
    EXPECT_EQ(records->at(1).offset, 2);
    EXPECT_EQ(raw_batch_at(3), untouched) << "a batch that loses nothing is copied byte for byte";
    ASSERT_TRUE(log->close());
  }
}

TEST_F(CleanerBasics, a_tombstone_stays_for_delete_retention_ms_after_its_first_cleaning) {
  auto cfg = compact_config();
  cfg.delete_retention_ms = 5000;
  auto log = open_log(cfg);
  put(*log, {{"gone", "1"}});
  put(*log, {{"gone", std::nullopt}});
  roll(*log);
  ASSERT_TRUE(clean(*log));
  auto has_tombstone = [&] {
    const auto all = read_committed(*log);
    return std::any_of(all.begin(), all.end(), [](const seen_record& r) { return r.key == "gone"; });
  };
  EXPECT_TRUE(has_tombstone());
  std::int64_t dirty = log->segments().back()->base_offset();
  clock.advance(4999);
  roll(*log);
  auto s = clean(*log, dirty);
  ASSERT_TRUE(s);
  dirty = s->end_offset;
  EXPECT_TRUE(has_tombstone()) << "removed before delete.retention.ms passed";
  clock.advance(1);
  roll(*log);
  ASSERT_TRUE(clean(*log, dirty));
  EXPECT_FALSE(has_tombstone());
  EXPECT_EQ(materialise(read_committed(*log)).count("gone"), 0u);
}

TEST_F(CleanerBasics, aborted_records_go_and_their_marker_follows_once_delete_retention_passed) {
  auto cfg = compact_config();
  auto log = open_log(cfg);
  constexpr std::int64_t pid = 77;
  auto txn = [&](std::int32_t seq, const std::string& key, bool commit) {
    batch_spec s;
    s.records = {{key, "t"}};
    s.timestamp = next_ts();
    s.producer_id = pid;
    s.base_sequence = seq;
    s.transactional = true;
    auto b = build(s);
    ASSERT_TRUE(log->append(b));
    ASSERT_TRUE(log->append_marker(pid, 0, 1, commit));
  };
  put(*log, {{"plain", "1"}});
  txn(0, "aborted-key", false);
  const auto abort_marker = log->log_end_offset() - 1;
  txn(1, "committed-key", true);
  roll(*log);
  ASSERT_EQ(log->aborted_transactions(0, INT64_MAX).size(), 1u);
  ASSERT_TRUE(clean(*log));
  auto all = read_all(*log);
  EXPECT_FALSE(std::any_of(all.begin(), all.end(), [](const seen_record& r) { return r.key == "aborted-key"; }));
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const seen_record& r) { return r.key == "committed-key"; }));
  auto ranges = batch_ranges(*log);
  auto has_batch_at = [&](std::int64_t o) {
    return std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) { return r.first == o; });
  };
  EXPECT_TRUE(has_batch_at(abort_marker)) << "the marker goes only after delete.retention.ms";

  clock.advance(cfg.delete_retention_ms);
  const auto dirty = log->segments().back()->base_offset();
  roll(*log);
  ASSERT_TRUE(clean(*log, dirty));
  ranges = batch_ranges(*log);
  EXPECT_FALSE(has_batch_at(abort_marker));
  EXPECT_TRUE(log->aborted_transactions(0, INT64_MAX).empty());
  EXPECT_EQ(log->last_stable_offset(), log->high_watermark());
  const auto view = read_committed(*log);
  ASSERT_TRUE(log->close());
  log.reset();
  log = open_log(cfg);
  EXPECT_TRUE(log->aborted_transactions(0, INT64_MAX).empty());
  EXPECT_EQ(log->last_stable_offset(), log->high_watermark());
  EXPECT_EQ(read_committed(*log), view);
}

TEST_F(CleanerBasics, a_producers_last_batch_survives_cleaning_so_its_retry_is_a_duplicate_after_a_restart) {
  auto cfg = compact_config();
  auto log = open_log(cfg);
  constexpr std::int64_t pid = 5;
  base::byte_buffer last;
  for (int i = 0; i < 3; ++i) {
    batch_spec s;
    s.records = {{"shared", "p" + std::to_string(i)}, {"shared2", "p"}};
    s.timestamp = next_ts();
    s.producer_id = pid;
    s.epoch = 2;
    s.base_sequence = 2 * i;
    last = build(s);
    auto copy = last;
    ASSERT_TRUE(log->append(copy));
  }
  const auto last_offset = log->log_end_offset() - 1;
  // Another writer overwrites every key the producer wrote.
  put(*log, {{"shared", "other"}, {"shared2", "other"}});
  roll(*log);
  auto stats = clean(*log);
  ASSERT_TRUE(stats);
  auto all = read_all(*log);
  EXPECT_FALSE(std::any_of(all.begin(), all.end(),
                           [](const seen_record& r) { return r.value != "other" && r.key.starts_with("shared"); }));
  auto ranges = batch_ranges(*log);
  EXPECT_TRUE(std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) { return r.second == last_offset; }))
      << "the producer's last batch (emptied) is kept";

  // Restart without snapshots: producer state comes from replaying the cleaned log.
  ASSERT_TRUE(log->close());
  log.reset();
  for (const auto& e : std::filesystem::directory_iterator(dir()))
    if (e.path().extension() == snapshot_suffix) std::filesystem::remove(e.path());
  log = open_log(cfg, /*clean=*/false, /*recovery_point=*/0);
  auto retry = log->append(last);
  ASSERT_TRUE(retry) << to_string(retry.error());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->last_offset, last_offset);
  batch_spec next;
  next.records = {{"x", "y"}};
  next.timestamp = next_ts();
  next.producer_id = pid;
  next.epoch = 2;
  next.base_sequence = 7;  // one past the gap: refused, so the sequence is really known
  auto gap = build(next);
  auto bad = log->append(gap);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), errc::out_of_order_sequence);
}

TEST_F(CleanerBasics, a_full_offset_map_cleans_part_of_the_dirty_range_and_the_next_round_continues) {
  auto log = open_log(compact_config(4096));
  for (int i = 0; i < 200; ++i) put(*log, {{"unique-" + std::to_string(i), "v"}, {"hot", std::to_string(i)}});
  roll(*log);
  const auto uncleanable = log->segments().back()->base_offset();
  // 16 slots: 14 keys fit.
  auto first = clean(*log, 0, test_settings(16 * offset_map::entry_bytes));
  ASSERT_TRUE(first);
  EXPECT_LT(first->end_offset, uncleanable);
  EXPECT_GT(first->end_offset, 0);
  std::int64_t dirty = first->end_offset;
  for (int rounds = 0; dirty < uncleanable && rounds < 1000; ++rounds) {
    auto s = clean(*log, dirty, test_settings(16 * offset_map::entry_bytes));
    ASSERT_TRUE(s);
    ASSERT_GT(s->end_offset, dirty) << "no progress";
    dirty = s->end_offset;
  }
  EXPECT_EQ(dirty, uncleanable);
  const auto m = materialise(read_committed(*log));
  EXPECT_EQ(m.at("hot"), "199");
  for (int i = 0; i < 200; ++i) EXPECT_EQ(m.count("unique-" + std::to_string(i)), 1u);
}

TEST_F(CleanerBasics, a_cleaning_whose_segments_retention_removed_meanwhile_is_abandoned) {
  auto log = open_log(compact_config());
  for (int i = 0; i < 60; ++i) put(*log, {{"k" + std::to_string(i % 3), std::to_string(i)}});
  ASSERT_TRUE(log->flush());
  bool once = false;
  io_throttle racing(
      1.0, [] { return std::int64_t{0}; },
      [&](std::int64_t) {
        if (once) return;
        once = true;
        // DeleteRecords drops the first segment while the cleaner reads.
        ASSERT_TRUE(log->delete_records(log->segments()[1]->base_offset()));
      });
  auto r = log->clean(0, test_settings(), racing);
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_FALSE(*r);
  EXPECT_TRUE(once);
  for (const auto& e : std::filesystem::directory_iterator(dir())) {
    EXPECT_FALSE(e.path().string().ends_with(".cleaned")) << e.path();
    EXPECT_FALSE(e.path().string().ends_with(".swap")) << e.path();
  }
  // The next round works on what is left.
  ASSERT_TRUE(clean(*log, 0));
  EXPECT_EQ(materialise(read_committed(*log)).at("k2"), "59");
}

TEST_F(CleanerBasics, appends_continue_during_a_cleaning_and_readers_keep_their_segments) {
  auto log = open_log(compact_config());
  for (int i = 0; i < 60; ++i) put(*log, {{"k" + std::to_string(i % 3), std::to_string(i)}});
  ASSERT_TRUE(log->flush());
  // A reader holding a segment about to be replaced.
  auto held = log->read(0, 1 << 20, log->log_end_offset(), nullptr);
  ASSERT_TRUE(held);
  const auto held_bytes = held->file_length;
  int appended = 0;
  io_throttle racing(
      1.0, [] { return std::int64_t{0}; },
      [&](std::int64_t) {
        if (appended++ < 5) put(*log, {{"during", std::to_string(appended)}});
      });
  auto r = log->clean(0, test_settings(), racing);
  ASSERT_TRUE(r && *r);
  EXPECT_GT(appended, 0);
  // At 1 byte/s every read and write of the cleaning was throttled (the fake sleep returns at once).
  EXPECT_GE((*r)->throttled_ms, static_cast<std::int64_t>((*r)->bytes_read + (*r)->bytes_written - 1) * 1000);
  EXPECT_EQ(materialise(read_committed(*log)).at("during"), std::to_string(std::min(appended, 5)));
  base::byte_buffer old(held_bytes);
  auto n = held->source->pread(old, held->file_position);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, held_bytes);
  EXPECT_TRUE(model::validate_batch(batches_of(old).front(), model::validation_level::stored));
}

TEST_F(CleanerBasics, retention_by_time_applies_to_compact_delete_logs_only) {
  for (const std::string policy : {"compact", "compact,delete", "delete,compact"}) {
    SCOPED_TRACE(policy);
    auto cfg = compact_config();
    cfg.cleanup_policy = policy;
    cfg.retention_ms = 1000;
    std::filesystem::remove_all(dir());
    auto log = open_log(cfg);
    for (int i = 0; i < 30; ++i) put(*log, {{"k", std::to_string(i)}});
    auto r = log->enforce_retention();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->segments_deleted > 0, policy != "compact");
    ASSERT_TRUE(log->close());
  }
}

TEST_F(CleanerBasics, a_log_without_compaction_or_dirty_data_is_not_cleaned) {
  auto cfg = compact_config();
  cfg.cleanup_policy = "delete";
  auto log = open_log(cfg);
  for (int i = 0; i < 30; ++i) put(*log, {{"k", std::to_string(i)}});
  EXPECT_FALSE(log->cleanable(0).due);
  EXPECT_FALSE(clean(*log));
  cfg.cleanup_policy = "compact";
  log->update_config(cfg);
  ASSERT_TRUE(log->flush());
  const auto s = log->cleanable(0);
  EXPECT_TRUE(s.due);
  EXPECT_DOUBLE_EQ(s.dirty_ratio, 1.0);
  auto st = clean(*log);
  ASSERT_TRUE(st);
  const auto after = log->cleanable(st->end_offset);
  EXPECT_FALSE(after.due);
  EXPECT_EQ(after.dirty_bytes, 0u);
  EXPECT_FALSE(clean(*log, st->end_offset));
}

TEST_F(CleanerBasics, min_compaction_lag_keeps_young_segments_dirty_and_max_lag_makes_a_log_due) {
  auto cfg = compact_config();
  auto log = open_log(cfg);
  auto put_now = [&](int n) {
    for (int i = 0; i < n; ++i) {
      batch_spec s;
      s.records = {{"k" + std::to_string(i % 5), std::to_string(i)}};
      s.timestamp = clock.now_ms();
      auto b = build(s);
      ASSERT_TRUE(log->append(b));
    }
    ASSERT_TRUE(log->flush());
  };
  put_now(30);
  auto first = clean(*log);
  ASSERT_TRUE(first);
  cfg.min_compaction_lag_ms = 10'000;
  cfg.min_cleanable_dirty_ratio = 1.0;  // never by ratio while a clean part exists
  log->update_config(cfg);
  put_now(30);
  EXPECT_EQ(log->cleanable(first->end_offset).dirty_bytes, 0u) << "younger than min.compaction.lag.ms";
  EXPECT_FALSE(clean(*log, first->end_offset));
  clock.advance(10'001);
  const auto s = log->cleanable(first->end_offset);
  EXPECT_GT(s.dirty_bytes, 0u);
  EXPECT_GT(s.clean_bytes, 0u);
  EXPECT_FALSE(s.due);
  cfg.max_compaction_lag_ms = 20'000;
  log->update_config(cfg);
  EXPECT_FALSE(log->cleanable(first->end_offset).due);
  clock.advance(10'000);
  EXPECT_TRUE(log->cleanable(first->end_offset).due);
}

// ---- parts

TEST(CleanerParts, the_offset_map_keeps_the_latest_offset_and_refuses_new_keys_past_its_load_factor) {
  offset_map m(100 * offset_map::entry_bytes);
  EXPECT_EQ(m.capacity(), 90u);
  auto key = [](int i) {
    static std::string s;
    s = "key-" + std::to_string(i);
    return base::byte_buffer(s.begin(), s.end());
  };
  for (int i = 0; i < 90; ++i) ASSERT_TRUE(m.put(key(i), i));
  EXPECT_FALSE(m.put(key(1000), 5));
  EXPECT_FALSE(m.get(key(1000)));
  EXPECT_TRUE(m.put(key(3), 500));  // an existing key still updates
  EXPECT_EQ(m.get(key(3)), 500);
  EXPECT_EQ(m.get(key(4)), 4);
  EXPECT_FALSE(m.has_room_for(1));
  m.clear();
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.get(key(4)));
}

TEST(CleanerParts, the_throttle_holds_its_rate_across_threads) {
  std::atomic<std::int64_t> now{0};
  std::atomic<std::int64_t> slept{0};
  io_throttle t(
      1'000'000, [&] { return now.load(); }, [&](std::int64_t us) { slept += us; });
  // One second of tokens to start with, then 1 MB/s.
  EXPECT_EQ(t.acquire(1'000'000), 0);
  EXPECT_EQ(t.acquire(500'000), 500'000);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) t.acquire(100'000);
    });
  for (auto& th : threads) th.join();
  // 4 MB more at 1 MB/s with the clock standing still: the last caller waits 4.5 s in all.
  EXPECT_EQ(t.throttled_micros(), slept.load());
  now = 10'000'000;  // ten seconds later the debt is paid and one second of tokens is back
  EXPECT_EQ(t.acquire(1'000'000), 0);
  io_throttle unlimited(0);
  EXPECT_EQ(unlimited.acquire(1ULL << 40), 0);
}

TEST(CleanerParts, cleanup_policy_and_the_compaction_configs_parse_as_kafka_spells_them) {
  EXPECT_TRUE(parse_cleanup_policy("compact")->compact);
  EXPECT_FALSE(parse_cleanup_policy("compact")->delete_enabled);
  EXPECT_TRUE(parse_cleanup_policy("delete")->delete_enabled);
  for (auto v : {"compact,delete", "delete,compact"}) {
    auto p = parse_cleanup_policy(v);
    ASSERT_TRUE(p) << v;
    EXPECT_TRUE(p->compact && p->delete_enabled) << v;
  }
  for (auto v : {"", "compact,compact", "purge", "compact,delete,compact", "compact, delete"})
    EXPECT_EQ(parse_cleanup_policy(v).error(), errc::invalid_config) << v;
  log_config base;
  auto c = apply_overrides(base, {{"min.cleanable.dirty.ratio", "0.25"},
                                  {"min.compaction.lag.ms", "100"},
                                  {"max.compaction.lag.ms", "200"},
                                  {"delete.retention.ms", "300"},
                                  {"cleanup.policy", "compact,delete"}});
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->min_cleanable_dirty_ratio, 0.25);
  EXPECT_EQ(c->min_compaction_lag_ms, 100);
  EXPECT_EQ(c->max_compaction_lag_ms, 200);
  EXPECT_EQ(c->delete_retention_ms, 300);
  EXPECT_TRUE(c->compact() && c->delete_enabled());
  EXPECT_FALSE(apply_overrides(base, {{"min.cleanable.dirty.ratio", "1.5"}}));
  EXPECT_FALSE(apply_overrides(base, {{"cleanup.policy", "compact,purge"}}));
  const auto* ratio = find_topic_config_by_broker_name("log.cleaner.min.cleanable.ratio");
  ASSERT_TRUE(ratio && ratio->storage_acts_on_it());
  EXPECT_EQ(default_value(*ratio, base), "0.5");
  for (auto name :
       {"log.cleaner.delete.retention.ms", "log.cleaner.min.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms"}) {
    const auto* row = find_topic_config_by_broker_name(name);
    ASSERT_TRUE(row && row->storage_acts_on_it()) << name;
  }
  EXPECT_EQ(default_value(*find_topic_config("max.compaction.lag.ms"), base), "9223372036854775807");
  EXPECT_EQ(default_value(*find_topic_config("delete.retention.ms"), base), "86400000");
}

}  // namespace
}  // namespace spate::storage::test
