#include "storage/partition_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "model/record.h"
#include "storage/file_names.h"

namespace spate::storage::test {
namespace {

using plog = log_fixture;

std::vector<model::batch_header> headers_of(base::byte_span bytes) {
  std::vector<model::batch_header> out;
  for (auto b : batches_of(bytes)) out.push_back(*model::parse_batch_header(b));
  return out;
}

TEST_F(plog, a_new_log_starts_empty_at_offset_zero) {
  auto log = open_log(small_config());
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->high_watermark(), 0);
  EXPECT_TRUE(std::filesystem::exists(dir() / "00000000000000000000.log"));
}

TEST_F(plog, append_assigns_dense_offsets_by_rewriting_base_offsets) {
  auto log = open_log(small_config());
  auto a = append(*log, 3, clock.now_ms());
  auto b = append(*log, 2, clock.now_ms());
  EXPECT_EQ(a.base_offset, 0);
  EXPECT_EQ(a.last_offset, 2);
  EXPECT_EQ(b.base_offset, 3);
  EXPECT_EQ(b.last_offset, 4);
  EXPECT_EQ(log->log_end_offset(), 5);
  ASSERT_TRUE(log->flush());
  base::byte_buffer buf;
  auto r = log->read(0, 1 << 20, log->high_watermark(), &buf);
  ASSERT_TRUE(r);
  auto hs = headers_of(r->records);
  ASSERT_EQ(hs.size(), 2u);
  EXPECT_EQ(hs[1].base_offset, 3);
  // The stored bytes still pass validation: the base offset lies outside the CRC.
  for (auto batch : batches_of(r->records)) EXPECT_TRUE(model::validate_batch(batch));
  EXPECT_EQ(r->next_offset, 5);
}

TEST_F(plog, several_batches_in_one_append_are_one_unit) {
  auto log = open_log(small_config());
  auto a = make_batch(2, clock.now_ms());
  auto b = make_batch(3, clock.now_ms());
  a.insert(a.end(), b.begin(), b.end());
  auto r = log->append(a);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->base_offset, 0);
  EXPECT_EQ(r->last_offset, 4);
  EXPECT_EQ(r->batch_count, 2);
}

TEST_F(plog, append_rejects_partial_batches_and_batches_over_max_message_bytes) {
  auto cfg = small_config();
  cfg.max_message_bytes = 200;
  auto log = open_log(cfg);
  auto b = make_batch(1, 0);
  EXPECT_EQ(log->append(std::span(b).first(b.size() - 1)).error(), errc::corrupt_batch);
  auto big = make_batch(10, 0, 100);
  EXPECT_EQ(log->append(big).error(), errc::message_too_large);
  EXPECT_EQ(log->log_end_offset(), 0);
}

TEST_F(plog, segment_rolls_when_the_next_batch_would_exceed_segment_bytes) {
  auto cfg = small_config();
  const auto batch_size = make_batch(1, 0, 100).size();
  cfg.segment_bytes = static_cast<std::int64_t>(batch_size * 3);
  auto log = open_log(cfg);
  for (int i = 0; i < 7; ++i) append(*log, 1, clock.now_ms(), 100);
  // 3 + 3 + 1 batches.
  EXPECT_EQ(log->segment_count(), 3u);
  auto segs = log->segments();
  EXPECT_EQ(segs[0]->base_offset(), 0);
  EXPECT_EQ(segs[1]->base_offset(), 3);
  EXPECT_EQ(segs[2]->base_offset(), 6);
  EXPECT_TRUE(std::filesystem::exists(dir() / log_file_name(6)));
  EXPECT_TRUE(std::filesystem::exists(dir() / time_index_file_name(3)));
}

std::uint64_t allocated_bytes(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

// The active segment has disk blocks reserved ahead of its appends (segment::reserve_ahead); a
// rolled one gives back what it did not use in the flush round that syncs it.
TEST_F(plog, the_active_segment_reserves_blocks_ahead_and_a_rolled_one_gives_them_back) {
  auto cfg = small_config();
  cfg.segment_ms = 60'000;  // rolled by age, so the segment is not full up to segment.bytes
  const auto batch_size = make_batch(1, 0, 10'000).size();
  auto log = open_log(cfg);
  {
    auto probe = io::posix_file_system().open(dir() / "probe", {.write = true, .create = true});
    ASSERT_TRUE(probe);
    if (!(*probe)->reserve(0, 4096)) GTEST_SKIP() << "the temporary directory's filesystem cannot reserve blocks";
  }
  for (int i = 0; i < 3; ++i) append(*log, 1, clock.now_ms(), 10'000);
  const auto first = dir() / log_file_name(0);
  EXPECT_EQ(std::filesystem::file_size(first), 3 * batch_size);  // the size is what was appended
  // Reserved at the first append: 64 KiB past its end.
  EXPECT_GE(allocated_bytes(first), batch_size + (std::uint64_t{64} << 10));
  clock.advance(61'000);
  append(*log, 1, clock.now_ms(), 10'000);
  ASSERT_EQ(log->segment_count(), 2u);
  ASSERT_TRUE(log->flush());
  EXPECT_EQ(std::filesystem::file_size(first), 3 * batch_size);
  EXPECT_LT(allocated_bytes(first), 3 * batch_size + 8192) << "the rolled segment still holds reserved blocks";
  EXPECT_GE(allocated_bytes(dir() / log_file_name(3)), batch_size + (std::uint64_t{64} << 10));
  // What was appended reads back whole, and no further (the reserved blocks are past the end).
  base::byte_buffer buf;
  auto r = log->read(0, 1 << 20, log->high_watermark(), &buf);
  ASSERT_TRUE(r);
  EXPECT_EQ(batches_of(r->records).size(), 3u);
  EXPECT_EQ(r->records.size(), 3 * batch_size);
}

TEST_F(plog, segment_rolls_by_age_after_segment_ms) {
  auto cfg = small_config();
  cfg.segment_ms = 60'000;
  auto log = open_log(cfg);
  append(*log, 1, clock.now_ms());
  clock.advance(59'000);
  append(*log, 1, clock.now_ms());
  EXPECT_EQ(log->segment_count(), 1u);
  clock.advance(2'000);  // the first batch's timestamp is now more than segment.ms old
  append(*log, 1, clock.now_ms());
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(log->segments().back()->base_offset(), 2);
}

TEST_F(plog, segment_age_is_measured_in_batch_time_so_old_create_times_do_not_roll_every_append) {
  auto cfg = small_config();
  cfg.segment_ms = 60'000;
  auto log = open_log(cfg);
  for (int i = 0; i < 10; ++i) append(*log, 1, 1000 + i);  // timestamps from 1970
  EXPECT_EQ(log->segment_count(), 1u);
  append(*log, 1, 1000 + 60'001);
  EXPECT_EQ(log->segment_count(), 2u);
}

TEST_F(plog, segment_rolls_when_its_offset_index_is_full) {
  auto cfg = small_config();
  cfg.index_interval_bytes = 0;  // an entry for every batch after the first
  cfg.segment_index_bytes = 8 * 4;
  auto log = open_log(cfg);
  for (int i = 0; i < 6; ++i) append(*log, 1, clock.now_ms());
  EXPECT_EQ(log->segment_count(), 2u);
}

TEST_F(plog, a_read_from_any_offset_returns_the_batch_containing_it) {
  auto cfg = small_config();
  cfg.segment_bytes = 20'000;
  auto log = open_log(cfg);
  std::vector<append_result> appended;
  for (int i = 0; i < 200; ++i) appended.push_back(append(*log, 1 + i % 5, clock.now_ms() + i));
  ASSERT_TRUE(log->flush());
  ASSERT_GT(log->segment_count(), 1u);
  ASSERT_GT(log->segments().front()->offset_index_entries(), 3u);  // the index is sparse but used
  base::byte_buffer buf;
  for (const auto& a : appended) {
    for (auto o = a.base_offset; o <= a.last_offset; ++o) {
      auto r = log->read(o, 1, log->high_watermark(), &buf);
      ASSERT_TRUE(r);
      auto hs = headers_of(r->records);
      ASSERT_EQ(hs.size(), 1u) << "offset " << o;
      EXPECT_EQ(hs[0].base_offset, a.base_offset);
      EXPECT_EQ(hs[0].last_offset(), a.last_offset);
      // The same bytes are available as a file range for sendfile.
      EXPECT_EQ(r->file_length, r->records.size());
      std::vector<std::uint8_t> via_fd(r->file_length);
      ASSERT_EQ(::pread(r->fd, via_fd.data(), via_fd.size(), static_cast<off_t>(r->file_position)),
                static_cast<ssize_t>(via_fd.size()));
      EXPECT_TRUE(std::equal(via_fd.begin(), via_fd.end(), r->records.begin()));
    }
  }
}

// A consumer's next fetch starts at the offset after the batch its last one ended with. The index
// entry found for it is that batch's; the one after it is the batch wanted, whose header alone
// locates the read (not the batch before's too).
TEST_F(plog, a_read_that_goes_on_where_the_last_ended_reads_one_batch_header) {
  auto log = open_log(small_config());  // index entries every 256 bytes: every batch here is indexed
  for (int i = 0; i < 6; ++i) append(*log, 2, clock.now_ms(), 500);
  ASSERT_TRUE(log->flush());
  base::byte_buffer buf;
  std::int64_t next = 0;
  for (int i = 0; i < 6; ++i) {
    fs.reset_counters();
    auto r = log->read(next, 1, log->high_watermark(), &buf);
    ASSERT_TRUE(r);
    auto hs = headers_of(r->records);
    ASSERT_EQ(hs.size(), 1u);
    EXPECT_EQ(hs[0].base_offset, next);
    // The first two batches have no index entry before them to go on from.
    if (i >= 2) {
      EXPECT_EQ(fs.bytes_read(), model::batch_layout::header_size + r->records.size()) << i;
    }
    next = r->next_offset;
  }
}

TEST_F(plog, reads_stop_at_max_bytes_but_always_return_the_first_batch) {
  auto log = open_log(small_config());
  for (int i = 0; i < 5; ++i) append(*log, 1, clock.now_ms(), 500);
  ASSERT_TRUE(log->flush());
  base::byte_buffer buf;
  auto one = log->read(0, 10, log->high_watermark(), &buf);
  ASSERT_TRUE(one);
  EXPECT_EQ(headers_of(one->records).size(), 1u);
  const auto batch = one->records.size();
  auto two = log->read(0, batch * 2 + batch / 2, log->high_watermark(), &buf);
  EXPECT_EQ(headers_of(two->records).size(), 2u);
  EXPECT_EQ(two->next_offset, 2);
  // Without a buffer only the file range is computed.
  auto range = log->read(0, batch * 2 + batch / 2, log->high_watermark(), nullptr);
  EXPECT_EQ(range->file_length, batch * 2);
  EXPECT_TRUE(range->records.empty());
}

TEST_F(plog, reads_never_return_data_at_or_after_max_offset) {
  auto log = open_log(small_config());
  for (int i = 0; i < 5; ++i) append(*log, 2, clock.now_ms());  // offsets 0..9
  ASSERT_TRUE(log->flush());
  base::byte_buffer buf;
  auto r = log->read(0, 1 << 20, 6, &buf);
  ASSERT_TRUE(r);
  auto hs = headers_of(r->records);
  ASSERT_EQ(hs.size(), 3u);
  EXPECT_EQ(hs.back().last_offset(), 5);
  // A bound inside a batch excludes that batch.
  EXPECT_EQ(headers_of(log->read(0, 1 << 20, 5, &buf)->records).size(), 2u);
  EXPECT_TRUE(log->read(6, 1 << 20, 6, &buf)->records.empty());
}

TEST_F(plog, reads_outside_the_log_are_offset_out_of_range) {
  auto log = open_log(small_config());
  append(*log, 3, clock.now_ms());
  ASSERT_TRUE(log->flush());
  base::byte_buffer buf;
  EXPECT_EQ(log->read(-1, 100, 3, &buf).error(), errc::offset_out_of_range);
  EXPECT_EQ(log->read(4, 100, 3, &buf).error(), errc::offset_out_of_range);
  auto at_end = log->read(3, 100, 3, &buf);
  ASSERT_TRUE(at_end);
  EXPECT_TRUE(at_end->records.empty());
  EXPECT_EQ(at_end->next_offset, 3);
}

TEST_F(plog, durable_logs_raise_the_high_watermark_only_after_fsync) {
  fs.set_sync_error(true);  // fsyncs fail: nothing may become visible
  auto log = open_log(small_config());
  append(*log, 3, clock.now_ms());
  pool.drain();
  EXPECT_EQ(log->log_end_offset(), 3);
  EXPECT_EQ(log->high_watermark(), 0);
  base::byte_buffer buf;
  EXPECT_TRUE(log->read(0, 1 << 20, log->high_watermark(), &buf)->records.empty());
}

TEST_F(plog, page_cache_logs_acknowledge_at_once_and_flush_by_count_or_age) {
  auto cfg = small_config();
  cfg.flush_messages = 5;
  cfg.flush_ms = 1000;
  auto log = open_log(cfg);
  append(*log, 2, clock.now_ms());
  EXPECT_EQ(log->high_watermark(), 2);
  bool fired = false;
  log->on_durable(1, [&](errc e) { fired = e == errc::success; });
  EXPECT_TRUE(fired);
  pool.drain();
  EXPECT_EQ(log->recovery_point(), 0);  // not flushed yet
  clock.advance(1000);
  log->flush_if_due();
  pool.drain();
  EXPECT_EQ(log->recovery_point(), 2);
  append(*log, 5, clock.now_ms());  // 5 unflushed messages: flush.messages reached
  pool.drain();
  EXPECT_EQ(log->recovery_point(), 7);
}

TEST_F(plog, log_append_time_logs_stamp_the_batch_and_keep_it_valid) {
  auto cfg = small_config();
  cfg.message_timestamp_type = model::timestamp_type::log_append_time;
  auto log = open_log(cfg);
  auto a = append(*log, 2, 5);
  EXPECT_EQ(a.log_append_time, clock.now_ms());
  ASSERT_TRUE(log->flush());
  base::byte_buffer buf;
  auto r = log->read(0, 1 << 20, log->high_watermark(), &buf);
  auto view = model::validate_batch(r->records);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->ts_type(), model::timestamp_type::log_append_time);
  EXPECT_EQ(view->max_timestamp(), clock.now_ms());
}

TEST_F(plog, offset_for_timestamp_finds_the_first_record_at_or_after_it) {
  auto cfg = small_config();
  cfg.segment_bytes = 2000;
  auto log = open_log(cfg);
  // Batch i holds records with timestamps 1000*i + 0..3.
  for (int i = 0; i < 40; ++i) append(*log, 4, 1000 * i);
  ASSERT_TRUE(log->flush());
  ASSERT_GT(log->segment_count(), 2u);
  auto hw = log->high_watermark();
  auto r = log->offset_for_timestamp(0, hw);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, (timestamp_offset{0, 0}));
  r = log->offset_for_timestamp(5002, hw);  // batch 5, third record
  EXPECT_EQ(**r, (timestamp_offset{5002, 22}));
  r = log->offset_for_timestamp(5004, hw);  // between batches: the next batch's first record
  EXPECT_EQ(**r, (timestamp_offset{6000, 24}));
  r = log->offset_for_timestamp(39'003, hw);
  EXPECT_EQ(**r, (timestamp_offset{39'003, 159}));
  EXPECT_FALSE(*log->offset_for_timestamp(39'004, hw));
  EXPECT_FALSE(*log->offset_for_timestamp(30'000, 100));  // beyond the bound
  auto max = log->max_timestamp();
  ASSERT_TRUE(max && *max);
  EXPECT_EQ(**max, (timestamp_offset{39'003, 159}));
}

TEST_F(plog, delete_records_moves_the_log_start_and_drops_whole_segments_below_it) {
  auto cfg = small_config();
  cfg.segment_bytes = static_cast<std::int64_t>(make_batch(1, 0).size() * 2);
  auto log = open_log(cfg);
  for (int i = 0; i < 6; ++i) append(*log, 1, clock.now_ms());
  ASSERT_TRUE(log->flush());
  ASSERT_EQ(log->segment_count(), 3u);
  EXPECT_EQ(log->delete_records(7).error(), errc::offset_out_of_range);  // above the HW
  auto lso = log->delete_records(3);
  ASSERT_TRUE(lso);
  EXPECT_EQ(*lso, 3);
  EXPECT_EQ(log->log_start_offset(), 3);
  EXPECT_EQ(log->segment_count(), 2u);  // [0,1] gone, [2,3] holds offset 3
  EXPECT_FALSE(std::filesystem::exists(dir() / log_file_name(0)));
  base::byte_buffer buf;
  EXPECT_EQ(log->read(2, 100, 6, &buf).error(), errc::offset_out_of_range);
  auto r = log->read(3, 1 << 20, 6, &buf);
  EXPECT_EQ(headers_of(r->records).front().base_offset, 3);
}

TEST_F(plog, a_reader_keeps_a_deleted_segment_readable) {
  auto cfg = small_config();
  cfg.segment_bytes = static_cast<std::int64_t>(make_batch(1, 0).size());
  auto log = open_log(cfg);
  for (int i = 0; i < 3; ++i) append(*log, 1, clock.now_ms());
  ASSERT_TRUE(log->flush());
  auto r = log->read(0, 1 << 20, 3, nullptr);
  ASSERT_TRUE(r);
  ASSERT_TRUE(log->delete_records(2));
  std::vector<std::uint8_t> bytes(r->file_length);
  EXPECT_EQ(::pread(r->fd, bytes.data(), bytes.size(), static_cast<off_t>(r->file_position)),
            static_cast<ssize_t>(bytes.size()));
  EXPECT_TRUE(model::validate_batch(bytes, model::validation_level::stored));
}

}  // namespace
}  // namespace spate::storage::test
