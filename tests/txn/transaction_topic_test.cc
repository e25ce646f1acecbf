#include "txn/transaction_topic.h"

#include <gtest/gtest.h>

#include <future>

#include "../storage/helpers.h"
#include "../support/log_manager_fixture.h"
#include "model/record.h"
#include "storage/log_manager.h"
#include "txn/transaction_records.h"

namespace spate::txn {
namespace {

using storage::errc;

// What a replay visit saw, owning its bytes.
struct seen {
  std::int32_t partition;
  std::int64_t offset;
  std::int64_t timestamp;
  base::byte_buffer key;
  std::optional<base::byte_buffer> value;
  friend bool operator==(const seen&, const seen&) = default;
};

transaction_record state(const std::string& id, std::int16_t epoch) {
  transaction_value v;
  v.producer_id = 1;
  v.producer_epoch = epoch;
  v.timeout_ms = 1000;
  v.status = transaction_status::empty;
  return {encode_key(id), encode_value(v)};
}
transaction_record tombstone(const std::string& id) { return {encode_key(id), std::nullopt}; }

struct transaction_topic_fixture : storage::test::log_manager_fixture {
  std::unique_ptr<transaction_topic> open_topic(std::int32_t partitions) {
    auto t = transaction_topic::open(*logs, partitions, clock);
    EXPECT_TRUE(t) << (t ? "" : to_string(t.error()));
    return t ? std::move(*t) : nullptr;
  }
  // Appends and waits for the durability callback; returns what it reported.
  errc append(transaction_log& log, std::int32_t partition, std::vector<transaction_record> records) {
    std::promise<errc> result;
    auto future = result.get_future();
    log.append(partition, std::move(records), [&result](errc e) { result.set_value(e); });
    return future.get();
  }
  std::vector<seen> replay(const transaction_topic& t) {
    std::vector<seen> out;
    auto r = t.replay([&out](const transaction_topic::replayed& rec) {
      std::optional<base::byte_buffer> value;
      if (rec.value) value = base::byte_buffer(rec.value->begin(), rec.value->end());
      out.push_back(seen{rec.partition, rec.offset, rec.timestamp, base::byte_buffer(rec.key.begin(), rec.key.end()),
                         value});
    });
    EXPECT_TRUE(r) << (r ? "" : to_string(r.error()));
    return out;
  }
};

TEST_F(transaction_topic_fixture, open_creates_the_compacted_topic_with_the_requested_partitions) {
  auto t = open_topic(5);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->partition_count(), 5);
  const auto info = logs->find_topic("__transaction_state");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->partitions, 5);
  const storage::config_overrides expected{{"cleanup.policy", "compact"}, {"segment.bytes", "104857600"}};
  EXPECT_EQ(info->configs, expected);
  for (int p = 0; p < 5; ++p) EXPECT_TRUE(logs->get("__transaction_state", p));
}

TEST_F(transaction_topic_fixture, open_keeps_the_partition_count_of_an_existing_topic) {
  ASSERT_TRUE(open_topic(3));
  auto again = open_topic(50);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->partition_count(), 3);
}

TEST_F(transaction_topic_fixture, append_writes_one_plain_batch_stamped_now_and_reports_durability) {
  auto t = open_topic(2);
  const std::vector<transaction_record> records{state("a", 0), state("b", 3), tombstone("c")};
  auto log = logs->get("__transaction_state", 1);
  std::promise<std::int64_t> hw_at_callback;
  t->append(1, records, [&](errc e) {
    EXPECT_EQ(e, errc::success);
    hw_at_callback.set_value(log->high_watermark());
  });
  // Durable means below the high watermark when the callback runs.
  EXPECT_EQ(hw_at_callback.get_future().get(), 3);

  base::byte_buffer buf;
  auto read = log->read(0, 1 << 20, log->high_watermark(), &buf);
  ASSERT_TRUE(read);
  const auto batches = storage::test::batches_of(read->records);
  ASSERT_EQ(batches.size(), 1u);
  auto view = model::validate_batch(batches[0], model::validation_level::produce);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->compression(), model::compression_type::none);
  EXPECT_FALSE(view->is_transactional());
  auto decoded = model::decode_records(*view, 1 << 20);
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*decoded)[i].timestamp, clock.now_ms());
    EXPECT_EQ((*decoded)[i].key, records[i].key);
    EXPECT_EQ((*decoded)[i].value, records[i].value);
  }
}

TEST_F(transaction_topic_fixture, append_rejects_partitions_outside_the_topic_and_accepts_nothing) {
  auto t = open_topic(2);
  for (std::int32_t p : {-1, 2}) {
    std::optional<errc> got;
    t->append(p, {state("a", 0)}, [&got](errc e) { got = e; });
    EXPECT_EQ(got, errc::unknown_topic_or_partition) << p;
  }
  std::optional<errc> empty;
  t->append(0, {}, [&empty](errc e) { empty = e; });
  EXPECT_EQ(empty, errc::success);
  EXPECT_EQ(logs->get("__transaction_state", 0)->log_end_offset(), 0);
}

TEST_F(transaction_topic_fixture, a_failed_write_reaches_the_callback) {
  auto t = open_topic(1);
  fs.set_write_error(true);
  EXPECT_EQ(append(*t, 0, {state("a", 0)}), errc::io_error);
  fs.set_write_error(false);
  EXPECT_EQ(append(*t, 0, {state("a", 0)}), errc::log_failed);
}

TEST_F(transaction_topic_fixture, replay_returns_every_record_in_offset_order_partition_by_partition) {
  auto t = open_topic(3);
  const auto start = clock.now_ms();
  ASSERT_EQ(append(*t, 2, {state("a", 0)}), errc::success);
  clock.advance(10);
  ASSERT_EQ(append(*t, 0, {state("b", 0), state("b", 1)}), errc::success);
  clock.advance(10);
  ASSERT_EQ(append(*t, 2, {tombstone("a")}), errc::success);

  const std::vector<seen> expected{
      {0, 0, start + 10, state("b", 0).key, state("b", 0).value},
      {0, 1, start + 10, state("b", 1).key, state("b", 1).value},
      {2, 0, start, state("a", 0).key, state("a", 0).value},
      {2, 1, start + 20, encode_key("a"), std::nullopt},
  };
  EXPECT_EQ(replay(*t), expected);

  // After a clean restart the same records come back.
  t.reset();
  reopen_logs();
  t = open_topic(3);
  ASSERT_TRUE(t);
  EXPECT_EQ(replay(*t), expected);
}

TEST_F(transaction_topic_fixture, replay_skips_records_it_cannot_use) {
  auto t = open_topic(1);
  auto log = logs->get("__transaction_state", 0);
  const auto now = clock.now_ms();
  const auto good = state("ok", 2);
  const base::byte_buffer group_key{0x00, 0x02, 0x00, 0x01, 'g'};  // another coordinator's key
  model::record_batch_builder b(model::compression_type::gzip);
  b.append(now, base::byte_span(group_key), base::byte_span(*good.value));
  b.append(now, std::nullopt, base::byte_span(*good.value));  // a null key
  b.append(now, base::byte_span(good.key), base::byte_span(*good.value));
  auto batch = b.build();
  ASSERT_TRUE(log->append(batch));
  ASSERT_TRUE(log->flush());
  const std::vector<seen> expected{{0, 2, now, good.key, good.value}};
  EXPECT_EQ(replay(*t), expected);
}

TEST_F(transaction_topic_fixture, replay_reads_past_many_batches) {
  auto t = open_topic(1);
  for (int i = 0; i < 300; ++i) {
    std::vector<transaction_record> batch;
    for (int r = 0; r < 4; ++r) batch.push_back(state(std::string(5000, static_cast<char>('a' + r)), 0));
    ASSERT_EQ(append(*t, 0, std::move(batch)), errc::success);
  }
  const auto all = replay(*t);
  ASSERT_EQ(all.size(), 1200u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].offset, static_cast<std::int64_t>(i));
}

}  // namespace
}  // namespace spate::txn
