#include "storage/index.h"

#include <gtest/gtest.h>

#include "storage/checkpoint.h"
#include "storage/log_config.h"

namespace spate::storage {
namespace {

TEST(offset_index, lookup_returns_the_largest_entry_at_or_below_the_offset) {
  offset_index idx(100, 10);
  idx.append(110, 4000);
  idx.append(125, 8200);
  EXPECT_EQ(idx.lookup(99), (offset_index::entry{100, 0}));
  EXPECT_EQ(idx.lookup(109), (offset_index::entry{100, 0}));
  EXPECT_EQ(idx.lookup(110), (offset_index::entry{110, 4000}));
  EXPECT_EQ(idx.lookup(124), (offset_index::entry{110, 4000}));
  EXPECT_EQ(idx.lookup(1000), (offset_index::entry{125, 8200}));
  // Entries at or past a reader's size snapshot are ignored.
  EXPECT_EQ(idx.lookup(1000, 8200), (offset_index::entry{110, 4000}));
}

TEST(offset_index, first_at_or_after_returns_the_first_entry_reaching_the_offset) {
  offset_index idx(100, 10);
  idx.append(110, 4000);
  idx.append(125, 8200);
  EXPECT_EQ(idx.first_at_or_after(100, 10'000), (offset_index::entry{110, 4000}));
  EXPECT_EQ(idx.first_at_or_after(110, 10'000), (offset_index::entry{110, 4000}));
  EXPECT_EQ(idx.first_at_or_after(111, 10'000), (offset_index::entry{125, 8200}));
  EXPECT_EQ(idx.first_at_or_after(126, 10'000), std::nullopt);
  // Not at or past a reader's size snapshot.
  EXPECT_EQ(idx.first_at_or_after(111, 8200), std::nullopt);
}

TEST(offset_index, encodes_kafkas_format_and_loads_it_back) {
  offset_index idx(100, 10);
  idx.append(110, 4000);
  idx.append(125, 8200);
  const auto bytes = idx.encode();
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_EQ(base::load_be<std::int32_t>(bytes.data()), 10);      // relative offset
  EXPECT_EQ(base::load_be<std::int32_t>(bytes.data() + 4), 4000);  // position
  offset_index loaded(100, 10);
  ASSERT_TRUE(loaded.load(bytes, 10000));
  EXPECT_EQ(loaded.lookup(130), (offset_index::entry{125, 8200}));
}

TEST(offset_index, load_rejects_torn_unordered_or_out_of_range_entries) {
  offset_index idx(0, 10);
  idx.append(10, 4000);
  idx.append(20, 8000);
  auto bytes = idx.encode();
  offset_index loaded(0, 10);
  EXPECT_FALSE(loaded.load(base::byte_span(bytes).first(12), 10000));  // torn
  EXPECT_FALSE(loaded.load(bytes, 8000));                               // position past the log
  std::swap_ranges(bytes.begin(), bytes.begin() + 8, bytes.begin() + 8);
  EXPECT_FALSE(loaded.load(bytes, 10000));  // decreasing
  EXPECT_EQ(loaded.entries(), 0u);
}

TEST(offset_index, truncation_drops_entries_at_or_past_the_cut) {
  offset_index idx(0, 10);
  idx.append(10, 4000);
  idx.append(20, 8000);
  idx.truncate_to_position(8000);
  EXPECT_EQ(idx.entries(), 1u);
}

TEST(time_index, lookup_returns_the_largest_timestamp_at_or_below_the_target) {
  time_index idx(0, 10);
  EXPECT_TRUE(idx.maybe_append(1000, 5));
  EXPECT_FALSE(idx.maybe_append(1000, 7));  // not above the last: skipped, like Kafka
  EXPECT_TRUE(idx.maybe_append(2000, 9));
  EXPECT_EQ(idx.lookup(999), (time_index::entry{-1, 0}));
  EXPECT_EQ(idx.lookup(1500), (time_index::entry{1000, 5}));
  EXPECT_EQ(idx.lookup(5000), (time_index::entry{2000, 9}));
  time_index loaded(0, 10);
  ASSERT_TRUE(loaded.load(idx.encode()));
  EXPECT_EQ(loaded.lookup(2000), (time_index::entry{2000, 9}));
  EXPECT_EQ(idx.encode().size(), 24u);
}

TEST(checkpoint, kafkas_text_format_round_trips) {
  offset_checkpoint c{{{"orders", 0}, 1234}, {{"orders", 1}, 99}};
  const auto text = encode_checkpoint(c);
  EXPECT_EQ(text, "0\n2\norders 0 1234\norders 1 99\n");
  EXPECT_EQ(decode_checkpoint(text), c);
  EXPECT_FALSE(decode_checkpoint("1\n0\n"));
  EXPECT_FALSE(decode_checkpoint("0\n2\norders 0 1234\n"));
}

TEST(log_config, overrides_use_kafkas_names_and_reject_bad_values) {
  auto c = apply_overrides(log_config{}, {{"segment.bytes", "1048576"},
                                          {"message.timestamp.type", "LogAppendTime"},
                                          {"flush.messages", "9223372036854775807"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->segment_bytes, 1048576);
  EXPECT_EQ(c->message_timestamp_type, model::timestamp_type::log_append_time);
  EXPECT_FALSE(c->sync_before_ack());
  EXPECT_FALSE(apply_overrides(log_config{}, {{"segment.bytes", "ten"}}));
  EXPECT_FALSE(apply_overrides(log_config{}, {{"cleanup.policy", "shred"}}));
}

}  // namespace
}  // namespace spate::storage
