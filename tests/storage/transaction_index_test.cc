#include "storage/transaction_index.h"

#include <gtest/gtest.h>

namespace spate::storage {
namespace {

TEST(transaction_index, an_entry_is_kafkas_34_bytes) {
  const aborted_txn txn{0x0102030405060708, 100, 250, 180};
  const auto bytes = encode_txn_index_entry(txn);
  ASSERT_EQ(bytes.size(), txn_index_entry_size);
  EXPECT_EQ(base::load_be<std::int16_t>(bytes.data()), 0);  // version
  EXPECT_EQ(base::load_be<std::int64_t>(bytes.data() + 2), 0x0102030405060708);
  EXPECT_EQ(bytes[2], 0x01);  // big-endian
  EXPECT_EQ(base::load_be<std::int64_t>(bytes.data() + 10), 100);  // first offset
  EXPECT_EQ(base::load_be<std::int64_t>(bytes.data() + 18), 250);  // last offset (the marker)
  EXPECT_EQ(base::load_be<std::int64_t>(bytes.data() + 26), 180);  // last stable offset
}

base::byte_buffer file_of(const std::vector<aborted_txn>& txns) {
  base::byte_buffer out;
  for (const auto& t : txns) {
    const auto entry = encode_txn_index_entry(t);
    out.insert(out.end(), entry.begin(), entry.end());
  }
  return out;
}

TEST(transaction_index, a_file_decodes_to_its_entries_in_order) {
  const std::vector<aborted_txn> txns{{7, 0, 10, 11}, {8, 5, 20, 21}, {7, 30, 31, 32}};
  const auto decoded = decode_txn_index(file_of(txns));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, txns);
  const auto empty = decode_txn_index({});
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(transaction_index, a_torn_trailing_entry_is_ignored) {
  const std::vector<aborted_txn> txns{{7, 0, 10, 11}, {8, 5, 20, 21}};
  const auto bytes = file_of(txns);
  for (std::size_t cut = 1; cut < txn_index_entry_size; ++cut) {
    const auto decoded = decode_txn_index(base::byte_span(bytes).first(bytes.size() - cut));
    ASSERT_TRUE(decoded.has_value()) << cut;
    EXPECT_EQ(*decoded, std::vector<aborted_txn>{txns[0]}) << cut;
  }
}

TEST(transaction_index, an_entry_of_another_version_is_corrupt) {
  auto bytes = file_of({{7, 0, 10, 11}, {8, 5, 20, 21}});
  base::store_be<std::int16_t>(bytes.data() + txn_index_entry_size, 1);
  const auto decoded = decode_txn_index(bytes);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error(), errc::corrupt_log);
}

// Producer 1 aborts [0, 10], producer 2 aborts [5, 20], producer 3 aborts [25, 30],
// producer 4 aborts [40, 41].
aborted_txn_list sample_list() {
  aborted_txn_list list;
  list.add({1, 0, 10, 5});
  list.add({2, 5, 20, 21});
  list.add({3, 25, 30, 31});
  list.add({4, 40, 41, 42});
  return list;
}

std::vector<std::int64_t> producers_of(const std::vector<aborted_txn>& txns) {
  std::vector<std::int64_t> out;
  for (const auto& t : txns) out.push_back(t.producer_id);
  return out;
}

TEST(transaction_index_list, collect_returns_transactions_that_overlap_the_fetched_range) {
  const auto list = sample_list();
  using ids = std::vector<std::int64_t>;
  // Fetch [0, 50): everything.
  EXPECT_EQ(producers_of(list.collect(0, 50)), (ids{1, 2, 3, 4}));
  // A marker exactly at the fetch offset still counts (last_offset >= fetch_offset).
  EXPECT_EQ(producers_of(list.collect(10, 50)), (ids{1, 2, 3, 4}));
  EXPECT_EQ(producers_of(list.collect(11, 50)), (ids{2, 3, 4}));
  // A transaction starting exactly at the upper bound is not returned (first_offset < upper).
  EXPECT_EQ(producers_of(list.collect(11, 25)), (ids{2}));
  EXPECT_EQ(producers_of(list.collect(11, 26)), (ids{2, 3}));
  // Fetching inside producer 2's transaction, before producer 3's starts.
  EXPECT_EQ(producers_of(list.collect(6, 7)), (ids{1, 2}));
  // Past every marker: nothing.
  EXPECT_TRUE(list.collect(42, 100).empty());
  // Below every transaction: nothing.
  EXPECT_TRUE(aborted_txn_list{}.collect(0, 100).empty());
}

TEST(transaction_index_list, entries_stay_in_marker_order) {
  aborted_txn_list list;
  list.add({1, 0, 30, 31});
  list.add({2, 0, 10, 11});  // out of order: inserted in place
  list.add({3, 0, 20, 21});
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(producers_of(list.entries()), (std::vector<std::int64_t>{2, 3, 1}));
  list.add({3, 1, 20, 21});  // the same marker replayed: replaces, no duplicate
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list.entries()[1], (aborted_txn{3, 1, 20, 21}));
}

TEST(transaction_index_list, remove_below_drops_markers_under_the_offset) {
  auto list = sample_list();
  list.remove_below(20);
  EXPECT_EQ(producers_of(list.entries()), (std::vector<std::int64_t>{2, 3, 4}));
  list.remove_below(31);
  EXPECT_EQ(producers_of(list.entries()), (std::vector<std::int64_t>{4}));
}

TEST(transaction_index_list, remove_from_drops_markers_at_or_above_the_offset) {
  auto list = sample_list();
  list.remove_from(30);
  EXPECT_EQ(producers_of(list.entries()), (std::vector<std::int64_t>{1, 2}));
  list.remove_from(11);
  EXPECT_EQ(producers_of(list.entries()), (std::vector<std::int64_t>{1}));
  list.remove_from(0);
  EXPECT_EQ(list.size(), 0u);
}

}  // namespace
}  // namespace spate::storage
