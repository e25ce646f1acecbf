#include "group/offsets_topic.h"

#include <gtest/gtest.h>

#include <future>

#include "../storage/helpers.h"
#include "../support/log_manager_fixture.h"
#include "group/offsets_records.h"
#include "model/record.h"
#include "storage/log_manager.h"

namespace spate::group {
namespace {

using storage::errc;

// What a replay visit saw, owning its bytes.
struct seen {
  std::int32_t partition;
  std::int64_t offset;
  std::int64_t timestamp;
  base::byte_buffer key;
  std::optional<base::byte_buffer> value;
  bool transactional;
  std::int64_t producer_id = -1;
  std::optional<bool> marker_commit;
  friend bool operator==(const seen&, const seen&) = default;
};

struct offsets_topic_fixture : storage::test::log_manager_fixture {
  std::unique_ptr<offsets_topic> open_topic(std::int32_t partitions) {
    auto t = offsets_topic::open(*logs, partitions, clock);
    EXPECT_TRUE(t) << (t ? "" : to_string(t.error()));
    return t ? std::move(*t) : nullptr;
  }

  // Appends and waits for the durability callback; returns what it reported.
  std::pair<errc, std::int64_t> append_reporting(offsets_log& log, std::int32_t partition,
                                                 std::vector<offsets_record> records,
                                                 std::optional<transactional_producer> producer) {
    std::promise<std::pair<errc, std::int64_t>> result;
    auto future = result.get_future();
    log.append(partition, std::move(records), producer,
               [&result](errc e, std::int64_t first_offset) { result.set_value({e, first_offset}); });
    return future.get();
  }
  errc append(offsets_log& log, std::int32_t partition, std::vector<offsets_record> records) {
    return append_reporting(log, partition, std::move(records), std::nullopt).first;
  }

  std::vector<seen> replay(const offsets_topic& t) {
    std::vector<seen> out;
    auto r = t.replay([&out](const offsets_topic::replayed& rec) {
      std::optional<base::byte_buffer> value;
      if (rec.value) value = base::byte_buffer(rec.value->begin(), rec.value->end());
      out.push_back(seen{rec.partition, rec.offset, rec.timestamp,
                         base::byte_buffer(rec.key.begin(), rec.key.end()), value,
                         rec.transactional, rec.transactional ? rec.producer_id : -1,
                         rec.marker_commit});
    });
    EXPECT_TRUE(r) << (r ? "" : to_string(r.error()));
    return out;
  }
};

offsets_record commit(const std::string& group, const std::string& topic, std::int32_t p,
                      std::int64_t offset) {
  return {encode_key(offset_key{group, topic, p}),
          encode_value(offset_value{offset, -1, "", 1000, -1})};
}
offsets_record tombstone(const std::string& group, const std::string& topic, std::int32_t p) {
  return {encode_key(offset_key{group, topic, p}), std::nullopt};
}

TEST_F(offsets_topic_fixture, open_creates_the_compacted_topic_with_the_requested_partitions) {
  auto t = open_topic(5);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->partition_count(), 5);
  auto info = logs->find_topic("__consumer_offsets");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->partitions, 5);
  const storage::config_overrides expected{{"cleanup.policy", "compact"},
                                           {"segment.bytes", "104857600"}};
  EXPECT_EQ(info->configs, expected);
  auto cfg = logs->topic_config("__consumer_offsets");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->cleanup_policy, "compact");
  EXPECT_EQ(cfg->segment_bytes, 104857600);
  for (int p = 0; p < 5; ++p) EXPECT_TRUE(logs->get("__consumer_offsets", p));
}

TEST_F(offsets_topic_fixture, open_keeps_the_partition_count_of_an_existing_topic) {
  ASSERT_TRUE(open_topic(3));
  auto again = open_topic(50);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->partition_count(), 3);
  EXPECT_EQ(logs->find_topic("__consumer_offsets")->partitions, 3);
}

TEST_F(offsets_topic_fixture, open_refuses_a_non_positive_partition_count_for_a_new_topic) {
  auto t = offsets_topic::open(*logs, 0, clock);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), errc::invalid_partitions);
}

TEST_F(offsets_topic_fixture, append_writes_one_batch_stamped_now_and_reports_durability) {
  auto t = open_topic(2);
  std::vector<offsets_record> records{commit("g", "t", 0, 10), commit("g", "t", 1, 20),
                                      tombstone("g", "t", 2)};
  std::promise<std::int64_t> hw_at_callback;
  auto log = logs->get("__consumer_offsets", 1);
  t->append(1, records, std::nullopt, [&](errc e, std::int64_t first_offset) {
    EXPECT_EQ(e, errc::success);
    EXPECT_EQ(first_offset, 0);
    hw_at_callback.set_value(log->high_watermark());
  });
  // Durable means below the high watermark when the callback runs.
  EXPECT_EQ(hw_at_callback.get_future().get(), 3);
  EXPECT_EQ(log->log_end_offset(), 3);

  base::byte_buffer buf;
  auto read = log->read(0, 1 << 20, log->high_watermark(), &buf);
  ASSERT_TRUE(read);
  auto batches = storage::test::batches_of(read->records);
  ASSERT_EQ(batches.size(), 1u);
  auto view = model::validate_batch(batches[0], model::validation_level::produce);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->compression(), model::compression_type::none);
  EXPECT_FALSE(view->is_transactional());
  EXPECT_EQ(view->producer_id(), model::no_producer_id);
  auto decoded = model::decode_records(*view, 1 << 20);
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*decoded)[i].timestamp, clock.now_ms());
    EXPECT_EQ((*decoded)[i].key, records[i].key);
    EXPECT_EQ((*decoded)[i].value, records[i].value);
  }
}

TEST_F(offsets_topic_fixture, append_rejects_partitions_outside_the_topic_inline) {
  auto t = open_topic(2);
  for (std::int32_t p : {-1, 2, 100}) {
    std::optional<errc> got;
    t->append(p, {commit("g", "t", 0, 1)}, std::nullopt, [&got](errc e, std::int64_t first_offset) {
      got = e;
      EXPECT_EQ(first_offset, -1);
    });
    ASSERT_TRUE(got) << p;
    EXPECT_EQ(*got, errc::unknown_topic_or_partition);
  }
}

TEST_F(offsets_topic_fixture, appending_nothing_succeeds_at_once) {
  auto t = open_topic(1);
  std::optional<errc> got;
  t->append(0, {}, std::nullopt, [&got](errc e, std::int64_t) { got = e; });
  EXPECT_EQ(got, errc::success);
  EXPECT_EQ(logs->get("__consumer_offsets", 0)->log_end_offset(), 0);
}

TEST_F(offsets_topic_fixture, a_failed_write_reaches_the_callback) {
  auto t = open_topic(1);
  fs.set_write_error(true);
  EXPECT_EQ(append(*t, 0, {commit("g", "t", 0, 1)}), errc::io_error);
  fs.set_write_error(false);
  EXPECT_EQ(append(*t, 0, {commit("g", "t", 0, 1)}), errc::log_failed);  // LevelDB's rule
}

TEST_F(offsets_topic_fixture, replay_returns_every_record_in_order_including_tombstones) {
  auto t = open_topic(3);
  ASSERT_EQ(append(*t, 2, {commit("a", "t", 0, 5)}), errc::success);
  clock.advance(10);
  ASSERT_EQ(append(*t, 0, {commit("b", "t", 0, 1), commit("b", "t", 1, 2)}), errc::success);
  clock.advance(10);
  ASSERT_EQ(append(*t, 2, {tombstone("a", "t", 0)}), errc::success);
  ASSERT_EQ(append(*t, 0, {{encode_key(group_key{"b"}), encode_value(group_value{})}}),
            errc::success);

  const auto start = clock.now_ms() - 20;
  const std::vector<seen> expected{
      {0, 0, start + 10, encode_key(offset_key{"b", "t", 0}),
       encode_value(offset_value{1, -1, "", 1000, -1}), false},
      {0, 1, start + 10, encode_key(offset_key{"b", "t", 1}),
       encode_value(offset_value{2, -1, "", 1000, -1}), false},
      {0, 2, start + 20, encode_key(group_key{"b"}), encode_value(group_value{}), false},
      {2, 0, start, encode_key(offset_key{"a", "t", 0}),
       encode_value(offset_value{5, -1, "", 1000, -1}), false},
      {2, 1, start + 20, encode_key(offset_key{"a", "t", 0}), std::nullopt, false},
  };
  EXPECT_EQ(replay(*t), expected);

  // After a clean restart the same records come back.
  t.reset();
  reopen_logs();
  t = open_topic(3);
  ASSERT_TRUE(t);
  EXPECT_EQ(replay(*t), expected);
}

TEST_F(offsets_topic_fixture, replay_of_an_empty_topic_visits_nothing) {
  auto t = open_topic(4);
  EXPECT_TRUE(replay(*t).empty());
}

TEST_F(offsets_topic_fixture, replay_reads_past_many_batches_and_large_records) {
  auto t = open_topic(1);
  const std::string big_metadata(20000, 'm');
  for (int i = 0; i < 200; ++i) {
    std::vector<offsets_record> batch;
    for (int r = 0; r < 5; ++r) {
      batch.push_back({encode_key(offset_key{"g", "t", r}),
                       encode_value(offset_value{i, -1, big_metadata, 1, -1})});
    }
    ASSERT_EQ(append(*t, 0, std::move(batch)), errc::success);
  }
  const auto seen_records = replay(*t);
  ASSERT_EQ(seen_records.size(), 1000u);
  for (std::size_t i = 0; i < seen_records.size(); ++i) {
    EXPECT_EQ(seen_records[i].offset, static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(decode_offset_value(*seen_records.back().value)->offset, 199);
}

TEST_F(offsets_topic_fixture, replay_skips_foreign_records_and_reads_compressed_batches_and_markers) {
  auto t = open_topic(1);
  auto log = logs->get("__consumer_offsets", 0);
  const auto now = clock.now_ms();
  const auto good_key = encode_key(offset_key{"g", "t", 0});
  const auto good_value = encode_value(offset_value{7, -1, "", 1, -1});
  const auto foreign_key = base::byte_buffer{0x00, 0x05, 0x00, 0x01, 'x'};  // key version 5

  // A gzip batch as a Kafka broker with compression.type set could have written.
  model::record_batch_builder gz(model::compression_type::gzip);
  gz.append(now, base::byte_span(good_key), base::byte_span(good_value));
  gz.append(now, base::byte_span(foreign_key), base::byte_span(good_value));
  gz.append(now, std::nullopt, base::byte_span(good_value));  // a null key
  auto b1 = gz.build();
  ASSERT_TRUE(log->append(b1));
  // A transactional offset commit, then its commit marker.
  ASSERT_EQ(append_reporting(*t, 0, {{good_key, good_value}}, transactional_producer{42, 0}),
            std::make_pair(errc::success, std::int64_t{3}));
  ASSERT_TRUE(log->append_marker(42, 0, 0, true));
  ASSERT_TRUE(log->flush());

  const std::vector<seen> expected{
      {0, 0, now, good_key, good_value, false},
      {0, 3, now, good_key, good_value, true, 42},
      {0, 4, now, {}, std::nullopt, true, 42, true},
  };
  EXPECT_EQ(replay(*t), expected);
}

TEST_F(offsets_topic_fixture, a_transactional_append_writes_one_batch_of_the_producer) {
  auto t = open_topic(2);
  ASSERT_EQ(append(*t, 1, {commit("g", "t", 9, 1)}), errc::success);
  const auto [e, first_offset] =
      append_reporting(*t, 1, {commit("g", "t", 0, 10), commit("g", "t", 1, 20)}, transactional_producer{7, 3});
  ASSERT_EQ(e, errc::success);
  EXPECT_EQ(first_offset, 1);

  auto log = logs->get("__consumer_offsets", 1);
  base::byte_buffer buf;
  auto read = log->read(1, 1 << 20, log->high_watermark(), &buf);
  ASSERT_TRUE(read);
  auto batches = storage::test::batches_of(read->records);
  ASSERT_EQ(batches.size(), 1u);
  auto view = model::validate_batch(batches[0], model::validation_level::stored);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->is_transactional());
  EXPECT_FALSE(view->is_control());
  EXPECT_EQ(view->producer_id(), 7);
  EXPECT_EQ(view->producer_epoch(), 3);
  EXPECT_EQ(view->base_sequence(), 0);
  EXPECT_EQ(view->base_offset(), 1);
  EXPECT_EQ(view->record_count(), 2);
  // The transaction is open in the partition until its marker.
  EXPECT_EQ(log->last_stable_offset(), 1);
  ASSERT_TRUE(log->append_marker(7, 3, 0, false));
  ASSERT_TRUE(log->flush());
  EXPECT_EQ(log->last_stable_offset(), log->high_watermark());

  const auto got = replay(*t);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_FALSE(got[0].transactional);
  EXPECT_EQ(got[1].producer_id, 7);
  EXPECT_EQ(got[2].producer_id, 7);
  EXPECT_TRUE(got[2].transactional);
  EXPECT_EQ(got[3].offset, 3);
  EXPECT_EQ(got[3].marker_commit, false);
  EXPECT_TRUE(got[3].key.empty());
}

TEST_F(offsets_topic_fixture, replay_skips_control_records_that_are_not_transaction_markers) {
  auto t = open_topic(1);
  auto log = logs->get("__consumer_offsets", 0);
  const auto now = clock.now_ms();
  // A control batch whose record has a too short key, and one of another control type (2).
  for (const auto& key : {base::byte_buffer{0x00, 0x00, 0x00}, base::byte_buffer{0x00, 0x00, 0x00, 0x02}}) {
    model::record_batch_builder b(model::compression_type::none, 0);
    b.set_control();
    b.append(now, base::byte_span(key), std::nullopt);
    auto bytes = b.build();
    ASSERT_TRUE(log->append(bytes));
  }
  ASSERT_EQ(append(*t, 0, {commit("g", "t", 0, 1)}), errc::success);
  const auto got = replay(*t);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, 2);
  EXPECT_FALSE(got[0].marker_commit);
}

TEST_F(offsets_topic_fixture, replay_starts_at_the_log_start_offset_even_inside_a_batch) {
  auto t = open_topic(1);
  ASSERT_EQ(append(*t, 0, {commit("g", "t", 0, 1), commit("g", "t", 1, 2), commit("g", "t", 2, 3)}),
            errc::success);
  ASSERT_TRUE(logs->delete_records("__consumer_offsets", 0, 2));
  const auto got = replay(*t);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, 2);
}

}  // namespace
}  // namespace spate::group
