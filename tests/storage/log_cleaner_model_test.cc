// Model-based test of the log cleaner: random appends (keys from a small set, tombstones,
// compressed batches, idempotent producers, transactions committed and aborted) to a real
// partition log with small segments, cleaned at random points while a manual clock moves, and
// checked against an in-memory model after every cleaning and restart:
//   - a read_committed read of the whole log sees records exactly as written at their offsets, in
//     strictly increasing order, and applying them gives the model's latest value per key;
//   - below the cleaned end every key appears once and no aborted record is left;
//   - a tombstone is gone only if a later record replaced it or delete.retention.ms passed since the
//     first cleaning that covered it, and every covered tombstone is gone once it has;
//   - a restart (clean or not) reads the same.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "compaction_helpers.h"

namespace spate::storage::test {
namespace {

struct written_record {
  std::string key;
  std::optional<std::string> value;
};

struct CleanerModel : log_fixture {
  std::mt19937_64 rng;
  log_config cfg;
  std::shared_ptr<partition_log> log;
  io_throttle unlimited{0};

  std::map<std::int64_t, written_record> written;   // every data record by offset
  std::set<std::int64_t> aborted;                   // offsets of aborted records
  std::map<std::int64_t, std::int64_t> covered_at;  // tombstone offset -> first cleaning covering it
  std::int64_t cleaned_end = 0;                     // end of the last cleaning's range
  std::int64_t first_dirty = 0;
  // Over all seeds, so the test shows it exercised what it checks.
  std::uint64_t cleanings = 0, records_removed = 0, tombstones_removed = 0, aborted_removed = 0;

  struct producer {
    std::int64_t id;
    std::int32_t next_seq = 0;
    bool transactional = false;
    std::vector<std::int64_t> open;  // offsets of the open transaction's records
  };
  std::vector<producer> producers{{100, 0, false, {}}, {101, 0, false, {}}, {200, 0, true, {}}, {201, 0, true, {}}};

  int pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return pick(100) < percent; }

  batch_spec random_batch() {
    batch_spec s;
    const int n = 1 + pick(4);
    for (int i = 0; i < n; ++i) {
      kv r{"key-" + std::to_string(pick(10)), std::nullopt};
      if (!chance(15)) r.value = "value-" + std::to_string(rng() % 100000);
      s.records.push_back(r);
    }
    s.timestamp = clock.now_ms() - 10;
    static constexpr model::compression_type codecs[] = {model::compression_type::lz4, model::compression_type::zstd,
                                                         model::compression_type::snappy,
                                                         model::compression_type::gzip};
    if (chance(25)) s.compression = codecs[pick(4)];
    return s;
  }

  std::int64_t append(const batch_spec& s) {
    auto bytes = build(s);
    auto r = log->append(bytes);
    EXPECT_TRUE(r) << to_string(r.error());
    if (!r) return -1;
    EXPECT_FALSE(r->duplicate);
    for (std::size_t i = 0; i < s.records.size(); ++i)
      written[r->base_offset + static_cast<std::int64_t>(i)] = {s.records[i].key, s.records[i].value};
    return r->base_offset;
  }

  void step_append() {
    auto s = random_batch();
    const int who = pick(static_cast<int>(producers.size()) + 2);
    if (who >= static_cast<int>(producers.size())) {
      append(s);
      return;
    }
    auto& p = producers[static_cast<std::size_t>(who)];
    if (p.transactional && !p.open.empty() && chance(40)) {
      const bool commit = chance(60);
      ASSERT_TRUE(log->append_marker(p.id, 0, 1, commit));
      if (!commit) aborted.insert(p.open.begin(), p.open.end());
      p.open.clear();
      return;
    }
    s.producer_id = p.id;
    s.base_sequence = p.next_seq;
    s.transactional = p.transactional;
    const auto base = append(s);
    ASSERT_GE(base, 0);
    p.next_seq += static_cast<std::int32_t>(s.records.size());
    if (p.transactional)
      for (std::size_t i = 0; i < s.records.size(); ++i) p.open.push_back(base + static_cast<std::int64_t>(i));
  }

  void step_clean() {
    ASSERT_TRUE(log->flush());
    const std::size_t dedupe = chance(20) ? 20 * 24 : 1 << 20;
    auto r = log->clean(first_dirty, test_settings(dedupe), unlimited);
    ASSERT_TRUE(r) << to_string(r.error());
    if (!*r) return;
    const auto& st = **r;
    ASSERT_GE(st.end_offset, cleaned_end);
    cleaned_end = st.end_offset;
    first_dirty = st.end_offset;
    ++cleanings;
    records_removed += st.records_removed;
    for (const auto& [o, rec] : written)
      if (o < cleaned_end && !rec.value) covered_at.emplace(o, clock.now_ms());
    check();
  }

  // The offset of the latest committed record of `key` below `limit`, or -1.
  std::int64_t latest_below(const std::string& key, std::int64_t limit) const {
    std::int64_t out = -1;
    for (auto it = written.begin(); it != written.end() && it->first < limit; ++it)
      if (it->second.key == key && !aborted.contains(it->first)) out = it->first;
    return out;
  }

  void check() {
    const auto lso = log->last_stable_offset();
    const auto seen = read_committed(*log);
    std::map<std::string, std::string> want;
    for (const auto& [o, rec] : written) {
      if (o >= lso) break;
      if (o < log->log_start_offset() || aborted.contains(o)) continue;
      if (rec.value)
        want[rec.key] = *rec.value;
      else
        want.erase(rec.key);
    }
    EXPECT_EQ(materialise(seen), want);
    std::set<std::string> keys_below_end;
    std::set<std::int64_t> seen_offsets;
    for (const auto& r : seen) {
      seen_offsets.insert(r.offset);
      const auto w = written.find(r.offset);
      ASSERT_NE(w, written.end()) << "a record at an offset never written: " << r.offset;
      EXPECT_EQ(w->second.key, r.key) << r.offset;
      EXPECT_EQ(w->second.value, r.value) << r.offset;
      EXPECT_FALSE(aborted.contains(r.offset)) << "aborted record read at " << r.offset;
      if (r.offset < cleaned_end) {
        EXPECT_TRUE(keys_below_end.insert(r.key).second) << r.key << " twice below the cleaned end";
      }
    }
    // Tombstones: gone only when replaced or past their delete horizon.
    for (const auto& [o, at] : covered_at) {
      if (o >= lso || seen_offsets.contains(o) || aborted.contains(o)) continue;
      const auto& key = written.at(o).key;
      const bool replaced = latest_below(key, cleaned_end) > o;
      EXPECT_TRUE(replaced || clock.now_ms() >= at + cfg.delete_retention_ms)
          << "tombstone at " << o << " removed early (covered at " << at << ", now " << clock.now_ms() << ")";
    }
  }

  void reopen(bool clean) {
    const auto before = read_committed(*log);
    const auto lso = log->last_stable_offset();
    const auto rp = log->recovery_point();
    if (clean) {
      ASSERT_TRUE(log->close());
      log.reset();
    } else {
      drop(log);
    }
    log = open_log(cfg, clean, rp);
    ASSERT_TRUE(log);
    EXPECT_EQ(log->last_stable_offset(), lso);
    EXPECT_EQ(read_committed(*log), before);
  }

  void run(std::uint64_t seed, int steps) {
    rng.seed(seed);
    cfg = compact_config(600);
    cfg.delete_retention_ms = 1000;
    log = open_log(cfg);
    for (int i = 0; i < steps; ++i) {
      const int op = pick(100);
      if (op < 75) {
        ASSERT_NO_FATAL_FAILURE(step_append());
      } else if (op < 88) {
        ASSERT_NO_FATAL_FAILURE(step_clean());
      } else if (op < 96) {
        clock.advance(pick(600));
      } else {
        ASSERT_NO_FATAL_FAILURE(reopen(chance(50)));
        ASSERT_NO_FATAL_FAILURE(check());
      }
      if (HasFailure()) FAIL() << "seed " << seed << " step " << i;
    }
    // Finally: end every transaction and clean twice across delete.retention.ms; every tombstone
    // the first of these cleanings covered is gone after the second.
    for (auto& p : producers)
      if (!p.open.empty()) {
        ASSERT_TRUE(log->append_marker(p.id, 0, 1, true));
        p.open.clear();
      }
    auto roll = [&] {
      const auto n = log->segment_count();
      while (log->segment_count() == n) append({{{"filler", "x"}}, clock.now_ms() - 10});
    };
    roll();
    ASSERT_NO_FATAL_FAILURE(step_clean());
    const auto stamped_below = cleaned_end;
    clock.advance(cfg.delete_retention_ms);
    roll();
    ASSERT_NO_FATAL_FAILURE(step_clean());
    const auto final_read = read_committed(*log);
    for (const auto& r : final_read)
      EXPECT_FALSE(r.offset < stamped_below && !r.value) << "tombstone at " << r.offset << " outlived its horizon";
    for (const auto& [o, rec] : written) {
      if (o >= stamped_below) break;
      const auto offset = o;  // (clang 14 cannot capture a structured binding)
      const bool present =
          std::any_of(final_read.begin(), final_read.end(), [&](const auto& r) { return r.offset == offset; });
      if (present) continue;
      if (!rec.value) ++tombstones_removed;
      if (aborted.contains(o)) ++aborted_removed;
    }
    ASSERT_NO_FATAL_FAILURE(reopen(true));
    ASSERT_NO_FATAL_FAILURE(check());
  }
};

TEST_F(CleanerModel, random_histories_read_as_the_model_after_every_cleaning_and_restart) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    written.clear();
    aborted.clear();
    covered_at.clear();
    cleaned_end = first_dirty = 0;
    for (auto& p : producers) {
      p.next_seq = 0;
      p.open.clear();
    }
    if (log) {
      ASSERT_TRUE(log->close());
    }
    log.reset();
    std::filesystem::remove_all(dir());
    run(seed, 250);
    if (HasFailure()) return;
  }
  EXPECT_GT(cleanings, 20u);
  EXPECT_GT(records_removed, 100u);
  EXPECT_GT(tombstones_removed, 5u);
  EXPECT_GT(aborted_removed, 5u);
}

}  // namespace
}  // namespace spate::storage::test
