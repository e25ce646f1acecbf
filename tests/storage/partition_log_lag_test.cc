// partition_log's reads for the lag monitor: control records counted by header walks, the first
// data record's timestamp, and the per-call budget.
#include <gtest/gtest.h>

#include "helpers.h"

namespace spate::storage::test {
namespace {

constexpr std::int64_t pid = 2000;
constexpr std::int64_t ts = 1'700'000'000'000;

base::byte_buffer txn_batch(std::int32_t first_seq, int records, std::int64_t first_ts) {
  model::record_batch_builder b(model::compression_type::none, 0);
  b.set_producer(pid, 0, first_seq);
  b.set_transactional();
  base::byte_buffer value(16, 'x');
  for (int i = 0; i < records; ++i) b.append(first_ts + i, std::nullopt, base::byte_span(value));
  return b.build();
}

base::byte_buffer compressed_batch(model::compression_type c, int records, std::int64_t first_ts) {
  model::record_batch_builder b(c, 0);
  base::byte_buffer value(64, 'z');
  for (int i = 0; i < records; ++i) b.append(first_ts + 10 * i, std::nullopt, base::byte_span(value));
  return b.build();
}

struct partition_log_lag : log_fixture {
  // 0-1 data | 2-4 txn | 5 commit marker | 6-7 data | 8-9 txn | 10 abort marker | 11 data
  std::shared_ptr<partition_log> transactional_log(const log_config& cfg) {
    auto log = open_log(cfg);
    append(*log, 2, ts);
    auto b1 = txn_batch(0, 3, ts + 100);
    EXPECT_TRUE(log->append(b1));
    EXPECT_TRUE(log->append_marker(pid, 0, 0, /*commit=*/true));
    append(*log, 2, ts + 200);
    auto b2 = txn_batch(3, 2, ts + 300);
    EXPECT_TRUE(log->append(b2));
    EXPECT_TRUE(log->append_marker(pid, 0, 0, /*commit=*/false));
    append(*log, 1, ts + 400);
    EXPECT_TRUE(log->flush());
    EXPECT_EQ(log->log_end_offset(), 12);
    return log;
  }
};

TEST_F(partition_log_lag, control_records_are_found_by_their_offsets_and_only_inside_the_range) {
  auto log = transactional_log(small_config());
  auto all = log->scan_control_records(0, 12, 1000);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->control_offsets, (std::vector<std::int64_t>{5, 10}));
  EXPECT_EQ(all->scanned_to, 12);
  EXPECT_EQ(all->batches_read, 7u);

  auto before_marker = log->scan_control_records(0, 5, 1000);
  ASSERT_TRUE(before_marker);
  EXPECT_TRUE(before_marker->control_offsets.empty());
  EXPECT_EQ(before_marker->scanned_to, 5);

  auto tail = log->scan_control_records(6, 12, 1000);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->control_offsets, (std::vector<std::int64_t>{10}));

  auto at_marker = log->scan_control_records(5, 6, 1000);
  ASSERT_TRUE(at_marker);
  EXPECT_EQ(at_marker->control_offsets, (std::vector<std::int64_t>{5}));
}

TEST_F(partition_log_lag, a_budgeted_scan_stops_early_and_resumes_where_it_stopped) {
  auto log = transactional_log(small_config());
  std::vector<std::int64_t> found;
  std::int64_t from = 0;
  int calls = 0;
  while (from < 12) {
    auto part = log->scan_control_records(from, 12, 2);
    ASSERT_TRUE(part);
    EXPECT_LE(part->batches_read, 2u);
    ASSERT_GT(part->scanned_to, from) << "no progress";
    found.insert(found.end(), part->control_offsets.begin(), part->control_offsets.end());
    from = part->scanned_to;
    ASSERT_LT(++calls, 10);
  }
  EXPECT_EQ(found, (std::vector<std::int64_t>{5, 10}));
  EXPECT_EQ(calls, 4);  // 7 batches, 2 per call

  auto first = log->scan_control_records(0, 12, 2);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->scanned_to, 5);  // batches 0-1 and 2-4
}

TEST_F(partition_log_lag, scans_cross_segments_and_skip_what_retention_deleted) {
  auto cfg = small_config();
  cfg.segment_bytes = 200;  // about one batch per segment
  auto log = transactional_log(cfg);
  ASSERT_GT(log->segment_count(), 3u);
  auto all = log->scan_control_records(0, 12, 1000);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->control_offsets, (std::vector<std::int64_t>{5, 10}));

  ASSERT_TRUE(log->delete_records(6));
  auto after = log->scan_control_records(0, 12, 1000);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->control_offsets, (std::vector<std::int64_t>{10}));
  EXPECT_EQ(after->scanned_to, 12);
}

TEST_F(partition_log_lag, a_range_past_the_end_of_the_log_counts_as_scanned) {
  auto log = transactional_log(small_config());
  auto r = log->scan_control_records(12, 20, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->scanned_to, 20);
  EXPECT_EQ(r->batches_read, 0u);
}

TEST_F(partition_log_lag, first_data_record_reads_a_create_time_batch_header_or_decodes_mid_batch) {
  auto log = transactional_log(small_config());
  auto at_base = log->first_data_record(2, 12, 10);
  ASSERT_TRUE(at_base);
  ASSERT_TRUE(at_base->record);
  EXPECT_EQ(*at_base->record, (timestamp_offset{ts + 100, 2}));

  auto mid = log->first_data_record(3, 12, 10);
  ASSERT_TRUE(mid && mid->record);
  EXPECT_EQ(*mid->record, (timestamp_offset{ts + 101, 3}));
}

TEST_F(partition_log_lag, first_data_record_skips_markers_and_is_empty_at_the_end) {
  auto log = transactional_log(small_config());
  auto at_marker = log->first_data_record(5, 12, 10);
  ASSERT_TRUE(at_marker && at_marker->record);
  EXPECT_EQ(*at_marker->record, (timestamp_offset{ts + 200, 6}));

  auto at_abort = log->first_data_record(10, 12, 10);
  ASSERT_TRUE(at_abort && at_abort->record);
  EXPECT_EQ(*at_abort->record, (timestamp_offset{ts + 400, 11}));

  auto only_marker_below_end = log->first_data_record(10, 11, 10);
  ASSERT_TRUE(only_marker_below_end);
  EXPECT_FALSE(only_marker_below_end->record);
  EXPECT_TRUE(only_marker_below_end->complete);

  auto at_end = log->first_data_record(12, 12, 10);
  ASSERT_TRUE(at_end);
  EXPECT_FALSE(at_end->record);
  EXPECT_TRUE(at_end->complete);

  auto out_of_budget = log->first_data_record(5, 12, 1);  // the marker uses the only header
  ASSERT_TRUE(out_of_budget);
  EXPECT_FALSE(out_of_budget->record);
  EXPECT_FALSE(out_of_budget->complete);
}

TEST_F(partition_log_lag, first_data_record_decompresses_a_compressed_batch_for_a_mid_batch_offset) {
  auto log = open_log(small_config());
  for (auto c : {model::compression_type::gzip, model::compression_type::lz4, model::compression_type::zstd,
                 model::compression_type::snappy}) {
    const auto base = log->log_end_offset();
    auto b = compressed_batch(c, 5, ts + base * 100);
    ASSERT_TRUE(log->append(b));
    ASSERT_TRUE(log->flush());
    auto r = log->first_data_record(base + 3, log->high_watermark(), 10);
    ASSERT_TRUE(r && r->record) << to_string(c);
    EXPECT_EQ(*r->record, (timestamp_offset{ts + base * 100 + 30, base + 3})) << to_string(c);
  }
}

TEST_F(partition_log_lag, first_data_record_of_a_log_append_time_log_is_the_append_time) {
  auto cfg = small_config();
  cfg.message_timestamp_type = model::timestamp_type::log_append_time;
  auto log = open_log(cfg);
  clock.set(ts + 5000);
  append(*log, 3, ts);
  clock.set(ts + 9000);
  append(*log, 3, ts);
  ASSERT_TRUE(log->flush());
  auto mid_first = log->first_data_record(1, 6, 10);
  ASSERT_TRUE(mid_first && mid_first->record);
  EXPECT_EQ(mid_first->record->timestamp, ts + 5000);
  auto second = log->first_data_record(3, 6, 10);
  ASSERT_TRUE(second && second->record);
  EXPECT_EQ(*second->record, (timestamp_offset{ts + 9000, 3}));
}

TEST_F(partition_log_lag, first_data_record_starts_at_the_log_start_after_retention) {
  auto cfg = small_config();
  cfg.segment_bytes = 200;
  auto log = transactional_log(cfg);
  ASSERT_TRUE(log->delete_records(7));
  auto r = log->first_data_record(0, 12, 10);
  ASSERT_TRUE(r && r->record);
  EXPECT_EQ(*r->record, (timestamp_offset{ts + 201, 7}));
}

}  // namespace
}  // namespace spate::storage::test
