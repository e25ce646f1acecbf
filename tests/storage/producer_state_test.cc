#include "storage/producer_state.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>

#include "io/clock.h"
#include "model/crc32c.h"

namespace spate::storage {
namespace {

constexpr std::int32_t max_seq = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t pid_a = 1000;
constexpr std::int64_t pid_b = 2000;
constexpr std::int64_t pid_c = 3000;
constexpr std::int64_t pid_d = 4000;

model::batch_header data_batch(std::int64_t pid, std::int16_t epoch, std::int32_t first_seq,
                               std::int32_t records, std::int64_t base_offset,
                               bool transactional = false, std::int64_t max_ts = 5000) {
  model::batch_header b;
  b.base_offset = base_offset;
  b.last_offset_delta = records - 1;
  b.record_count = records;
  b.producer_id = pid;
  b.producer_epoch = epoch;
  b.base_sequence = first_seq;
  b.base_timestamp = max_ts - 1;
  b.max_timestamp = max_ts;
  if (transactional) b.attributes |= model::batch_attributes::transactional;
  return b;
}

// A partition's view of the table: check, and append at the log end when allowed (what
// partition_log does under its write lock).
struct producer_state : ::testing::Test {
  producer_state_table table;
  io::manual_clock clock;
  std::int64_t log_end = 0;

  batch_check produce(std::int64_t pid, std::int16_t epoch, std::int32_t first_seq,
                      std::int32_t records = 1, bool transactional = false) {
    const auto batch = data_batch(pid, epoch, first_seq, records, log_end, transactional);
    const auto verdict = table.check(batch);
    if (verdict.result == batch_check::outcome::append) {
      table.record_batch(batch, clock.now_ms());
      log_end += records;
    }
    return verdict;
  }
  // Writes a marker at the log end, as the coordinator's WriteTxnMarkers does.
  std::optional<completed_txn> marker(std::int64_t pid, std::int16_t epoch, bool commit,
                                      std::int32_t coordinator_epoch = 0) {
    EXPECT_EQ(table.check_marker(pid, epoch), errc::success);
    return table.record_marker(pid, epoch, coordinator_epoch, commit, log_end++, clock.now_ms());
  }
};

void expect_append(const batch_check& v) {
  EXPECT_EQ(v.result, batch_check::outcome::append);
  EXPECT_EQ(v.error, errc::success);
}
void expect_reject(const batch_check& v, errc e) {
  EXPECT_EQ(v.result, batch_check::outcome::reject);
  EXPECT_EQ(v.error, e);
}

// --- check(): every error path --------------------------------------------------------------

TEST_F(producer_state, a_batch_with_an_epoch_below_the_producers_is_invalid_producer_epoch) {
  expect_append(produce(pid_a, 5, 0));
  expect_reject(produce(pid_a, 4, 1), errc::invalid_producer_epoch);
  // Even with a sequence that would be a new producer's start.
  expect_reject(produce(pid_a, 4, 0), errc::invalid_producer_epoch);
}

TEST_F(producer_state, a_bumped_epoch_must_start_at_sequence_zero) {
  expect_append(produce(pid_a, 1, 0, 3));
  expect_reject(produce(pid_a, 2, 3), errc::out_of_order_sequence);
  expect_append(produce(pid_a, 2, 0));
}

TEST_F(producer_state, a_gap_in_the_sequence_is_out_of_order) {
  expect_append(produce(pid_a, 1, 0, 3));  // sequences 0..2
  expect_reject(produce(pid_a, 1, 4), errc::out_of_order_sequence);
  // Below the last sequence without matching a remembered batch: not a retry either.
  expect_reject(produce(pid_a, 1, 1, 2), errc::out_of_order_sequence);
  expect_append(produce(pid_a, 1, 3));
}

TEST_F(producer_state, a_non_transactional_batch_inside_an_open_transaction_is_invalid_txn_state) {
  expect_append(produce(pid_a, 1, 0, 1, /*transactional=*/true));
  expect_reject(produce(pid_a, 1, 1), errc::invalid_txn_state);
  // Also with a bumped epoch: the transaction is still open until a marker ends it.
  expect_reject(produce(pid_a, 2, 0), errc::invalid_txn_state);
  expect_append(produce(pid_a, 1, 1, 1, /*transactional=*/true));
}

TEST_F(producer_state, a_known_producer_without_remembered_batches_starts_at_sequence_zero) {
  expect_append(produce(pid_a, 1, 0, 4));
  marker(pid_a, 2, /*commit=*/false);  // the coordinator bumped the epoch: batches forgotten
  ASSERT_TRUE(table.find(pid_a)->batches.empty());
  expect_reject(produce(pid_a, 2, 4), errc::out_of_order_sequence);
  expect_append(produce(pid_a, 2, 0));
}

TEST_F(producer_state, check_changes_nothing) {
  expect_append(produce(pid_a, 1, 0, 2, true));
  const auto before = table.entries();
  (void)table.check(data_batch(pid_a, 1, 2, 1, log_end, true));  // would append
  (void)table.check(data_batch(pid_b, 1, 0, 1, log_end));        // unknown producer
  (void)table.check(data_batch(pid_a, 3, 0, 1, log_end, true));  // bumped epoch
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table.find(pid_a)->batches, before[0].batches);
  EXPECT_EQ(table.find(pid_a)->epoch, 1);
  EXPECT_EQ(table.first_unstable_offset(), 0);
}

TEST_F(producer_state, batches_without_a_producer_id_always_append_and_are_not_recorded) {
  const auto plain = data_batch(model::no_producer_id, model::no_producer_epoch,
                                model::no_sequence, 3, 0);
  expect_append(table.check(plain));
  table.record_batch(plain, clock.now_ms());
  EXPECT_EQ(table.size(), 0u);
}

// --- deduplication --------------------------------------------------------------------------

TEST_F(producer_state, a_retry_of_any_of_the_last_five_batches_is_answered_with_its_offsets) {
  log_end = 100;
  std::vector<std::pair<std::int64_t, std::int64_t>> offsets;
  for (int i = 0; i < 5; ++i) {
    const auto first = log_end;
    expect_append(produce(pid_a, 3, i * 2, 2));  // sequences 2i, 2i+1
    offsets.emplace_back(first, first + 1);
  }
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    const auto v = produce(pid_a, 3, i * 2, 2);
    ASSERT_EQ(v.result, batch_check::outcome::duplicate);
    EXPECT_EQ(v.error, errc::success);
    EXPECT_EQ(v.original.first_offset, offsets[i].first);
    EXPECT_EQ(v.original.last_offset, offsets[i].second);
    EXPECT_EQ(v.original.first_sequence, i * 2);
    EXPECT_EQ(v.original.last_sequence, i * 2 + 1);
  }
  EXPECT_EQ(log_end, 110);  // nothing appended twice
}

TEST_F(producer_state, a_sixth_batch_evicts_the_oldest_whose_retry_is_then_out_of_order) {
  for (int seq = 0; seq < 6; ++seq) expect_append(produce(pid_a, 0, seq));
  ASSERT_EQ(table.find(pid_a)->batches.size(), producer_batches_kept);
  EXPECT_EQ(table.find(pid_a)->batches.front().first_sequence, 1);
  expect_reject(produce(pid_a, 0, 0), errc::out_of_order_sequence);
  for (int seq = 1; seq < 6; ++seq) {
    const auto v = produce(pid_a, 0, seq);
    ASSERT_EQ(v.result, batch_check::outcome::duplicate) << seq;
    EXPECT_EQ(v.original.first_offset, seq);
  }
}

TEST_F(producer_state, a_retry_with_a_different_range_is_not_a_duplicate) {
  expect_append(produce(pid_a, 0, 0, 3));  // 0..2
  // Same first sequence, other last sequence: Kafka matches both ends.
  expect_reject(produce(pid_a, 0, 0, 2), errc::out_of_order_sequence);
}

TEST_F(producer_state, a_retry_from_an_older_epoch_is_fenced_not_deduplicated) {
  expect_append(produce(pid_a, 1, 0));
  expect_append(produce(pid_a, 2, 0));
  expect_reject(produce(pid_a, 1, 0), errc::invalid_producer_epoch);
}

// --- sequences and epochs -------------------------------------------------------------------

TEST_F(producer_state, sequences_wrap_from_int32_max_to_zero) {
  expect_append(produce(pid_a, 0, max_seq - 1, 2));  // unknown producer: any start
  EXPECT_EQ(table.find(pid_a)->batches.back().last_sequence, max_seq);
  expect_reject(produce(pid_a, 0, 1), errc::out_of_order_sequence);
  expect_append(produce(pid_a, 0, 0, 2));
  // A batch straddling the wrap: INT32_MAX - 1, INT32_MAX, 0, 1, 2.
  producer_state_table t;
  t.record_batch(data_batch(pid_b, 0, max_seq - 1, 5, 10), 0);
  EXPECT_EQ(t.find(pid_b)->batches.back().last_sequence, 2);
  EXPECT_EQ(t.check(data_batch(pid_b, 0, max_seq - 1, 5, 20)).result,
            batch_check::outcome::duplicate);
  EXPECT_EQ(t.check(data_batch(pid_b, 0, 3, 1, 20)).result, batch_check::outcome::append);
  EXPECT_EQ(t.check(data_batch(pid_b, 0, 0, 1, 20)).error, errc::out_of_order_sequence);
}

TEST_F(producer_state, an_epoch_bump_forgets_the_old_epochs_batches) {
  for (int seq = 0; seq < 3; ++seq) expect_append(produce(pid_a, 4, seq));
  expect_append(produce(pid_a, 5, 0, 2));
  const auto* e = table.find(pid_a);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->epoch, 5);
  ASSERT_EQ(e->batches.size(), 1u);
  EXPECT_EQ(e->batches.front(), (producer_batch{0, 1, 3, 4, 5000}));
  expect_append(produce(pid_a, 5, 2));
}

TEST_F(producer_state, an_unknown_producer_may_start_at_any_sequence_and_epoch) {
  expect_append(produce(pid_a, 7, 42, 3));
  expect_append(produce(pid_b, 0, max_seq));
  expect_append(produce(pid_a, 7, 45));
  expect_reject(produce(pid_a, 7, 47), errc::out_of_order_sequence);
  table.clear();  // a log truncated to empty forgets them: any sequence again
  expect_append(produce(pid_a, 7, 1000));
}

// --- transactions and the LSO ---------------------------------------------------------------

TEST_F(producer_state, a_transactional_batch_opens_a_transaction_at_its_first_offset) {
  log_end = 50;
  expect_append(produce(pid_a, 0, 0, 2));  // non-transactional: opens nothing
  EXPECT_EQ(table.first_unstable_offset(), std::nullopt);
  expect_append(produce(pid_a, 0, 2, 3, true));  // offsets 52..54
  expect_append(produce(pid_a, 0, 5, 1, true));
  EXPECT_EQ(table.find(pid_a)->current_txn_first_offset, 52);
  EXPECT_EQ(table.first_unstable_offset(), 52);
}

TEST_F(producer_state, the_oldest_open_transaction_bounds_the_lso) {
  expect_append(produce(pid_a, 0, 0, 1, true));  // txn A at 0
  expect_append(produce(pid_b, 0, 0, 1, true));  // txn B at 1
  expect_append(produce(pid_a, 0, 1, 1, true));
  expect_append(produce(pid_c, 0, 0, 1, true));  // txn C at 3
  EXPECT_EQ(table.first_unstable_offset(), 0);

  // Ending A: the LSO moves to B's start, not past it.
  const completed_txn a_done{pid_a, 0, log_end, true};
  EXPECT_EQ(table.last_stable_offset_after(a_done), 1);
  EXPECT_EQ(marker(pid_a, 0, false), a_done);
  EXPECT_EQ(table.first_unstable_offset(), 1);

  // Ending C while B is open: B still bounds it.
  EXPECT_EQ(table.last_stable_offset_after(completed_txn{pid_c, 3, log_end, false}), 1);
  ASSERT_TRUE(marker(pid_c, 0, true).has_value());
  // Ending B, the last one: just past its marker.
  const completed_txn b_done{pid_b, 1, log_end, false};
  EXPECT_EQ(table.last_stable_offset_after(b_done), log_end + 1);
  EXPECT_EQ(marker(pid_b, 0, true), b_done);
  EXPECT_EQ(table.first_unstable_offset(), std::nullopt);
}

TEST_F(producer_state, commit_and_abort_markers_end_the_transaction) {
  log_end = 10;
  expect_append(produce(pid_a, 2, 0, 2, true));
  const auto committed = marker(pid_a, 2, /*commit=*/true, /*coordinator_epoch=*/7);
  EXPECT_EQ(committed, (completed_txn{pid_a, 10, 12, false}));
  EXPECT_EQ(table.find(pid_a)->current_txn_first_offset, -1);
  EXPECT_EQ(table.find(pid_a)->coordinator_epoch, 7);

  // Sequences continue across transactions of one epoch: the marker keeps the batches.
  expect_reject(produce(pid_a, 2, 0, 1, true), errc::out_of_order_sequence);
  expect_append(produce(pid_a, 2, 2, 1, true));  // offset 13
  EXPECT_EQ(marker(pid_a, 2, /*commit=*/false), (completed_txn{pid_a, 13, 14, true}));
  EXPECT_EQ(table.first_unstable_offset(), std::nullopt);
  // A batch after the transaction may be non-transactional again.
  expect_append(produce(pid_a, 2, 3));
}

TEST_F(producer_state, a_marker_with_a_stale_epoch_is_refused) {
  expect_append(produce(pid_a, 3, 0, 1, true));
  EXPECT_EQ(table.check_marker(pid_a, 2), errc::invalid_producer_epoch);
  EXPECT_EQ(table.check_marker(pid_a, 3), errc::success);
  EXPECT_EQ(table.check_marker(pid_a, 4), errc::success);  // the coordinator's bump
  EXPECT_EQ(table.check_marker(pid_b, 0), errc::success);  // unknown producer
}

TEST_F(producer_state, a_marker_without_an_open_transaction_ends_nothing) {
  expect_append(produce(pid_a, 1, 0));
  EXPECT_EQ(table.check_marker(pid_a, 1), errc::success);
  EXPECT_EQ(marker(pid_a, 1, true), std::nullopt);
  EXPECT_EQ(table.find(pid_a)->batches.size(), 1u);
  // For a producer never seen: remembered with the marker's epoch, no batches.
  EXPECT_EQ(table.record_marker(pid_b, 6, 3, false, log_end++, clock.now_ms()), std::nullopt);
  const auto* b = table.find(pid_b);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->epoch, 6);
  EXPECT_EQ(b->coordinator_epoch, 3);
  EXPECT_TRUE(b->batches.empty());
  EXPECT_EQ(table.check_marker(pid_b, 5), errc::invalid_producer_epoch);
}

// --- expiry and retention -------------------------------------------------------------------

TEST_F(producer_state, expiry_removes_idle_producers_but_keeps_open_transactions) {
  constexpr std::int64_t expiration_ms = 60'000;
  expect_append(produce(pid_a, 0, 0));        // idle, will expire
  expect_append(produce(pid_b, 0, 0, 1, true));  // idle, but its transaction is open
  clock.advance(30'000);
  expect_append(produce(pid_c, 0, 0));  // active later
  clock.advance(expiration_ms - 30'000 - 1);
  EXPECT_EQ(table.expire(clock.now_ms(), expiration_ms), 0u);  // one ms short
  clock.advance(1);
  EXPECT_EQ(table.expire(clock.now_ms(), expiration_ms), 1u);
  EXPECT_EQ(table.find(pid_a), nullptr);
  EXPECT_NE(table.find(pid_b), nullptr);
  EXPECT_NE(table.find(pid_c), nullptr);
  // The expired producer is unknown again: any sequence.
  expect_append(produce(pid_a, 0, 77));

  // Once B's transaction ends, its marker counts as activity, then B can expire.
  ASSERT_TRUE(marker(pid_b, 0, true).has_value());
  clock.advance(expiration_ms);
  EXPECT_EQ(table.expire(clock.now_ms(), expiration_ms), 3u);
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(producer_state, remove_below_forgets_producers_whose_batches_retention_deleted) {
  expect_append(produce(pid_a, 0, 0, 5));        // 0..4
  expect_append(produce(pid_b, 0, 0, 1, true));  // 5, open transaction
  expect_append(produce(pid_c, 0, 0, 5));        // 6..10
  EXPECT_EQ(table.remove_below(6), 1u);
  EXPECT_EQ(table.find(pid_a), nullptr);
  EXPECT_NE(table.find(pid_b), nullptr);
  EXPECT_NE(table.find(pid_c), nullptr);
  EXPECT_EQ(table.remove_below(10), 0u);  // C's last batch ends at 10: kept
  EXPECT_EQ(table.remove_below(11), 1u);
}

// --- snapshots ------------------------------------------------------------------------------

// Compares what a snapshot keeps (everything but last_update_ms).
void expect_same_state(const producer_state_table& a, const producer_state_table& b) {
  const auto ea = a.entries();
  const auto eb = b.entries();
  ASSERT_EQ(ea.size(), eb.size());
  for (std::size_t i = 0; i < ea.size(); ++i) {
    SCOPED_TRACE(ea[i].producer_id);
    EXPECT_EQ(ea[i].producer_id, eb[i].producer_id);
    EXPECT_EQ(ea[i].epoch, eb[i].epoch);
    EXPECT_EQ(ea[i].coordinator_epoch, eb[i].coordinator_epoch);
    EXPECT_EQ(ea[i].current_txn_first_offset, eb[i].current_txn_first_offset);
    EXPECT_EQ(ea[i].batches, eb[i].batches);
  }
  EXPECT_EQ(a.first_unstable_offset(), b.first_unstable_offset());
}

struct producer_state_snapshot : producer_state {
  // A: seven batches (five kept), the first two a committed transaction; B: an open
  // transaction, epoch 9; C: no batches after an epoch-bumping abort; D: a batch straddling the
  // sequence wrap; E: a second open transaction.
  void fill() {
    expect_append(produce(pid_a, 1, 0, 3, true));
    expect_append(produce(pid_a, 1, 3, 3, true));
    ASSERT_TRUE(marker(pid_a, 1, true, 4).has_value());
    for (int i = 2; i < 7; ++i) expect_append(produce(pid_a, 1, i * 3, 3));
    expect_append(produce(pid_c, 0, 0, 2, true));
    ASSERT_TRUE(marker(pid_c, 1, false, 5).has_value());
    expect_append(produce(pid_b, 9, 0, 2, true));
    expect_append(produce(pid_d, 0, max_seq - 1, 5));
    expect_append(produce(pid_b, 9, 2, 1, true));
    expect_append(produce(pid_b + 1, 0, 0, 1, true));
  }
};

TEST_F(producer_state_snapshot, round_trips_producers_batches_and_open_transactions) {
  fill();
  const auto bytes = table.encode_snapshot();
  const std::int64_t load_ms = clock.now_ms() + 12345;
  auto loaded = producer_state_table::decode_snapshot(bytes, load_ms);
  ASSERT_TRUE(loaded.has_value());
  expect_same_state(table, *loaded);
  EXPECT_EQ(loaded->size(), 5u);
  EXPECT_EQ(loaded->find(pid_a)->batches.size(), producer_batches_kept);
  EXPECT_TRUE(loaded->find(pid_c)->batches.empty());
  EXPECT_EQ(loaded->find(pid_c)->epoch, 1);
  EXPECT_EQ(loaded->find(pid_d)->batches.front().first_sequence, max_seq - 1);
  EXPECT_EQ(loaded->find(pid_d)->batches.front().last_sequence, 2);
  for (const auto& e : loaded->entries()) EXPECT_EQ(e.last_update_ms, load_ms);

  // Deduplication and the LSO survive the restart.
  const auto retry = loaded->check(data_batch(pid_a, 1, 6, 3, log_end));
  ASSERT_EQ(retry.result, batch_check::outcome::duplicate);
  EXPECT_EQ(retry.original, table.find(pid_a)->batches.front());
  EXPECT_EQ(loaded->first_unstable_offset(), table.first_unstable_offset());
  const completed_txn b_done{pid_b, *table.first_unstable_offset(), log_end, false};
  EXPECT_EQ(loaded->last_stable_offset_after(b_done), table.last_stable_offset_after(b_done));
}

TEST_F(producer_state_snapshot, an_empty_table_is_ten_bytes) {
  const auto bytes = table.encode_snapshot();
  ASSERT_EQ(bytes.size(), 10u);
  auto loaded = producer_state_table::decode_snapshot(bytes, 0);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->size(), 0u);
}

TEST_F(producer_state_snapshot, every_truncation_is_corrupt) {
  fill();
  const auto bytes = table.encode_snapshot();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto r = producer_state_table::decode_snapshot(base::byte_span(bytes).first(n), 0);
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error(), errc::corrupt_log);
  }
}

TEST_F(producer_state_snapshot, every_flipped_bit_after_the_version_fails_the_crc) {
  fill();
  const auto bytes = table.encode_snapshot();
  for (std::size_t at = 2; at < bytes.size(); ++at) {
    auto damaged = bytes;
    damaged[at] ^= 0x10;
    const auto r = producer_state_table::decode_snapshot(damaged, 0);
    ASSERT_FALSE(r.has_value()) << at;
    EXPECT_EQ(r.error(), errc::corrupt_log);
  }
}

// Rewrites the CRC so that only the check under test can catch the damage.
void reseal(base::byte_buffer& bytes) {
  base::store_be(bytes.data() + 2, model::crc32c(base::byte_span(bytes).subspan(6)));
}

TEST_F(producer_state_snapshot, another_version_is_corrupt) {
  fill();
  for (std::int16_t version : {0, 2, -1}) {
    auto bytes = table.encode_snapshot();
    base::store_be(bytes.data(), version);  // outside the CRC
    const auto r = producer_state_table::decode_snapshot(bytes, 0);
    ASSERT_FALSE(r.has_value()) << version;
    EXPECT_EQ(r.error(), errc::corrupt_log);
  }
}

TEST_F(producer_state_snapshot, trailing_bytes_or_a_wrong_count_are_corrupt) {
  fill();
  const auto good = table.encode_snapshot();
  auto trailing = good;
  trailing.push_back(0);
  reseal(trailing);
  EXPECT_EQ(producer_state_table::decode_snapshot(trailing, 0).error(), errc::corrupt_log);

  auto whole_extra_entry = good;
  whole_extra_entry.resize(good.size() + 46);
  reseal(whole_extra_entry);
  EXPECT_EQ(producer_state_table::decode_snapshot(whole_extra_entry, 0).error(),
            errc::corrupt_log);

  auto negative_count = good;
  base::store_be<std::int32_t>(negative_count.data() + 6, -1);
  reseal(negative_count);
  EXPECT_EQ(producer_state_table::decode_snapshot(negative_count, 0).error(), errc::corrupt_log);
}

TEST_F(producer_state_snapshot, impossible_values_are_corrupt) {
  expect_append(produce(pid_a, 0, 0, 1, true));
  expect_append(produce(pid_b, 0, 0, 1));
  const auto good = table.encode_snapshot();
  ASSERT_TRUE(producer_state_table::decode_snapshot(good, 0).has_value());

  auto negative_delta = good;
  base::store_be<std::int32_t>(negative_delta.data() + 10 + 22, -1);
  reseal(negative_delta);
  EXPECT_EQ(producer_state_table::decode_snapshot(negative_delta, 0).error(), errc::corrupt_log);

  // B claims A's open transaction.
  auto shared_txn = good;
  base::store_be<std::int64_t>(shared_txn.data() + 10 + 46 + 38, 0);
  reseal(shared_txn);
  EXPECT_EQ(producer_state_table::decode_snapshot(shared_txn, 0).error(), errc::corrupt_log);
}

// One entry, field by field, at the offsets of Kafka's format (header comment).
struct kafka_entry {
  std::int64_t producer_id;
  std::int16_t epoch;
  std::int32_t last_sequence;
  std::int64_t last_offset;
  std::int32_t offset_delta;
  std::int64_t timestamp;
  std::int32_t coordinator_epoch;
  std::int64_t current_txn_first_offset;
  friend bool operator==(const kafka_entry&, const kafka_entry&) = default;
};

kafka_entry read_kafka_entry(const std::uint8_t* p) {
  return kafka_entry{base::load_be<std::int64_t>(p),      base::load_be<std::int16_t>(p + 8),
                     base::load_be<std::int32_t>(p + 10), base::load_be<std::int64_t>(p + 14),
                     base::load_be<std::int32_t>(p + 22), base::load_be<std::int64_t>(p + 26),
                     base::load_be<std::int32_t>(p + 34), base::load_be<std::int64_t>(p + 38)};
}

TEST_F(producer_state_snapshot, kafkas_reader_keeping_the_last_entry_sees_the_newest_batch) {
  log_end = 100;
  clock.set(777);
  expect_append(produce(pid_a, 3, 10, 2, true));  // 100..101, seq 10..11, txn opens at 100
  expect_append(produce(pid_a, 3, 12, 4, true));  // 102..105, seq 12..15
  EXPECT_FALSE(marker(pid_c, 0, true, 9).has_value());  // C: a marker only, at 106
  const auto bytes = table.encode_snapshot();

  ASSERT_EQ(bytes.size(), 10u + 3 * 46);
  EXPECT_EQ(base::load_be<std::int16_t>(bytes.data()), 1);
  EXPECT_EQ(base::load_be<std::uint32_t>(bytes.data() + 2),
            model::crc32c(base::byte_span(bytes).subspan(6)));
  EXPECT_EQ(base::load_be<std::int32_t>(bytes.data() + 6), 3);
  // Entries by producer id, A's oldest batch first.
  EXPECT_EQ(read_kafka_entry(bytes.data() + 10), (kafka_entry{pid_a, 3, 11, 101, 1, 5000, -1, 100}));
  EXPECT_EQ(read_kafka_entry(bytes.data() + 56), (kafka_entry{pid_a, 3, 15, 105, 3, 5000, -1, 100}));
  // C without batches: sequence and offset -1, delta 0, the marker's time.
  EXPECT_EQ(read_kafka_entry(bytes.data() + 102), (kafka_entry{pid_c, 0, -1, -1, 0, 777, 9, -1}));

  // Kafka's reader: one entry per producer, the last one read wins.
  std::map<std::int64_t, kafka_entry> kafka_view;
  for (std::size_t at = 10; at < bytes.size(); at += 46) {
    const auto e = read_kafka_entry(bytes.data() + at);
    kafka_view.insert_or_assign(e.producer_id, e);
  }
  ASSERT_EQ(kafka_view.size(), 2u);
  EXPECT_EQ(kafka_view.at(pid_a).last_sequence, 15);
  EXPECT_EQ(kafka_view.at(pid_a).last_offset, 105);
  EXPECT_EQ(kafka_view.at(pid_a).offset_delta, 3);
}

TEST_F(producer_state_snapshot, reads_a_snapshot_kafka_wrote_one_entry_per_producer) {
  // Written by hand from the format: version, CRC placeholder, count, then two entries.
  base::byte_buffer bytes;
  base::append_be<std::int16_t>(bytes, 1);
  base::append_be<std::uint32_t>(bytes, 0);
  base::append_be<std::int32_t>(bytes, 2);
  const auto put = [&](const kafka_entry& e) {
    base::append_be(bytes, e.producer_id);
    base::append_be(bytes, e.epoch);
    base::append_be(bytes, e.last_sequence);
    base::append_be(bytes, e.last_offset);
    base::append_be(bytes, e.offset_delta);
    base::append_be(bytes, e.timestamp);
    base::append_be(bytes, e.coordinator_epoch);
    base::append_be(bytes, e.current_txn_first_offset);
  };
  put(kafka_entry{pid_a, 2, 1, 41, 3, 9000, 4, 38});  // sequences wrap: first = INT32_MAX - 1
  put(kafka_entry{pid_b, 5, -1, -1, 0, 9100, 6, -1});  // after a marker, no batch
  reseal(bytes);

  auto loaded = producer_state_table::decode_snapshot(bytes, 42);
  ASSERT_TRUE(loaded.has_value());
  const auto* a = loaded->find(pid_a);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->epoch, 2);
  EXPECT_EQ(a->coordinator_epoch, 4);
  EXPECT_EQ(a->current_txn_first_offset, 38);
  EXPECT_EQ(a->last_update_ms, 42);
  ASSERT_EQ(a->batches.size(), 1u);
  EXPECT_EQ(a->batches.front(), (producer_batch{max_seq - 1, 1, 38, 41, 9000}));
  EXPECT_EQ(loaded->first_unstable_offset(), 38);
  const auto* b = loaded->find(pid_b);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->epoch, 5);
  EXPECT_TRUE(b->batches.empty());
  EXPECT_EQ(b->current_txn_first_offset, -1);
}

TEST_F(producer_state_snapshot, entries_of_one_producer_accumulate_to_five_and_the_last_wins) {
  base::byte_buffer bytes;
  base::append_be<std::int16_t>(bytes, 1);
  base::append_be<std::uint32_t>(bytes, 0);
  base::append_be<std::int32_t>(bytes, 7);
  for (int i = 0; i < 7; ++i) {
    base::append_be<std::int64_t>(bytes, pid_a);
    base::append_be<std::int16_t>(bytes, 0);
    base::append_be<std::int32_t>(bytes, i);             // last sequence
    base::append_be<std::int64_t>(bytes, 10 + i);        // last offset
    base::append_be<std::int32_t>(bytes, 0);             // offset delta
    base::append_be<std::int64_t>(bytes, 100 + i);      // timestamp
    base::append_be<std::int32_t>(bytes, i);             // coordinator epoch: the last wins
    base::append_be<std::int64_t>(bytes, i == 6 ? 16 : -1);
  }
  reseal(bytes);
  auto loaded = producer_state_table::decode_snapshot(bytes, 0);
  ASSERT_TRUE(loaded.has_value());
  const auto* a = loaded->find(pid_a);
  ASSERT_EQ(a->batches.size(), producer_batches_kept);
  EXPECT_EQ(a->batches.front(), (producer_batch{2, 2, 12, 12, 102}));
  EXPECT_EQ(a->batches.back(), (producer_batch{6, 6, 16, 16, 106}));
  EXPECT_EQ(a->coordinator_epoch, 6);
  EXPECT_EQ(loaded->first_unstable_offset(), 16);
}

}  // namespace
}  // namespace spate::storage
