#include "storage/producer_state.h"

#include <algorithm>
#include <limits>

#include "model/crc32c.h"

namespace spate::storage {

namespace {

constexpr std::int32_t max_sequence = std::numeric_limits<std::int32_t>::max();

// Sequences wrap from INT32_MAX to 0 (Kafka's DefaultRecordBatch.incrementSequence).
// Precondition: 0 <= sequence, 0 <= delta.
std::int32_t add_sequence(std::int32_t sequence, std::int32_t delta) {
  if (sequence > max_sequence - delta) return delta - (max_sequence - sequence) - 1;
  return sequence + delta;
}
// The inverse of add_sequence. Precondition: 0 <= sequence, 0 <= delta.
std::int32_t subtract_sequence(std::int32_t sequence, std::int32_t delta) {
  if (sequence < delta) return max_sequence - (delta - sequence) + 1;
  return sequence - delta;
}
bool in_sequence(std::int32_t last, std::int32_t next) {
  return static_cast<std::int64_t>(next) == static_cast<std::int64_t>(last) + 1 ||
         (next == 0 && last == max_sequence);
}

std::int32_t last_sequence_of(const model::batch_header& batch) {
  return add_sequence(batch.base_sequence, batch.last_offset_delta);
}

batch_check reject(errc e) { return batch_check{batch_check::outcome::reject, e, {}}; }

// Snapshot layout (header comment): offsets of the fixed fields and the size of one entry.
namespace snapshot_layout {
constexpr std::int16_t version = 1;
constexpr std::size_t version_at = 0;
constexpr std::size_t crc_at = 2;
constexpr std::size_t count_at = 6;  // the CRC covers [count_at, end)
constexpr std::size_t entries_at = 10;
constexpr std::size_t entry_size = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
}  // namespace snapshot_layout

struct snapshot_entry {
  std::int64_t producer_id;
  std::int16_t epoch;
  std::int32_t last_sequence;
  std::int64_t last_offset;
  std::int32_t offset_delta;
  std::int64_t timestamp;
  std::int32_t coordinator_epoch;
  std::int64_t current_txn_first_offset;
};

void append_entry(base::byte_buffer& out, const snapshot_entry& e) {
  base::append_be(out, e.producer_id);
  base::append_be(out, e.epoch);
  base::append_be(out, e.last_sequence);
  base::append_be(out, e.last_offset);
  base::append_be(out, e.offset_delta);
  base::append_be(out, e.timestamp);
  base::append_be(out, e.coordinator_epoch);
  base::append_be(out, e.current_txn_first_offset);
}

snapshot_entry read_entry(const std::uint8_t* p) {
  snapshot_entry e{};
  e.producer_id = base::load_be<std::int64_t>(p);
  e.epoch = base::load_be<std::int16_t>(p + 8);
  e.last_sequence = base::load_be<std::int32_t>(p + 10);
  e.last_offset = base::load_be<std::int64_t>(p + 14);
  e.offset_delta = base::load_be<std::int32_t>(p + 22);
  e.timestamp = base::load_be<std::int64_t>(p + 26);
  e.coordinator_epoch = base::load_be<std::int32_t>(p + 34);
  e.current_txn_first_offset = base::load_be<std::int64_t>(p + 38);
  return e;
}

// A new epoch forgets the batches of the old one (Kafka's maybeUpdateProducerEpoch). Kafka
// compares with !=, so replay and replication may also lower it; clients cannot (check()).
void set_epoch(producer_entry& entry, std::int16_t epoch) {
  if (entry.epoch == epoch) return;
  entry.epoch = epoch;
  entry.batches.clear();
}

void remember(producer_entry& entry, const producer_batch& batch) {
  if (entry.batches.size() == producer_batches_kept) entry.batches.pop_front();
  entry.batches.push_back(batch);
}

}  // namespace

batch_check producer_state_table::check(const model::batch_header& batch) const {
  if (batch.producer_id < 0) return {};
  const producer_entry* entry = find(batch.producer_id);
  // KIP-360: nothing to compare with, so any epoch and sequence start the producer here.
  if (entry == nullptr) return {};

  // Duplicates first, as Kafka does: a retry is answered even if a later check would refuse it.
  if (batch.producer_epoch == entry->epoch) {
    const std::int32_t last = last_sequence_of(batch);
    for (const auto& remembered : entry->batches) {
      if (remembered.first_sequence == batch.base_sequence && remembered.last_sequence == last) {
        return batch_check{batch_check::outcome::duplicate, errc::success, remembered};
      }
    }
  }

  if (batch.producer_epoch < entry->epoch) return reject(errc::invalid_producer_epoch);
  // An entry without an epoch (a snapshot written by a non-idempotent past) constrains nothing.
  const bool has_epoch = entry->epoch != model::no_producer_epoch;
  if (batch.producer_epoch != entry->epoch) {
    if (has_epoch && batch.base_sequence != 0) return reject(errc::out_of_order_sequence);
  } else {
    const std::int32_t last =
        entry->batches.empty() ? model::no_sequence : entry->batches.back().last_sequence;
    if (has_epoch && !in_sequence(last, batch.base_sequence)) {
      return reject(errc::out_of_order_sequence);
    }
  }

  if (entry->current_txn_first_offset >= 0 && !batch.is_transactional()) {
    return reject(errc::invalid_txn_state);
  }
  return {};
}

void producer_state_table::record_batch(const model::batch_header& batch, std::int64_t now_ms) {
  if (batch.producer_id < 0 || batch.is_control()) return;
  auto [it, inserted] = _producers.try_emplace(batch.producer_id);
  producer_entry& entry = it->second;
  if (inserted) entry.producer_id = batch.producer_id;
  set_epoch(entry, batch.producer_epoch);
  remember(entry, producer_batch{batch.base_sequence, last_sequence_of(batch), batch.base_offset,
                                 batch.last_offset(), batch.max_timestamp});
  entry.last_update_ms = now_ms;
  if (batch.is_transactional() && entry.current_txn_first_offset < 0) {
    entry.current_txn_first_offset = batch.base_offset;
    _open_txns.emplace(batch.base_offset, batch.producer_id);
  }
}

errc producer_state_table::check_marker(std::int64_t producer_id, std::int16_t epoch) const {
  const producer_entry* entry = find(producer_id);
  if (entry != nullptr && epoch < entry->epoch) return errc::invalid_producer_epoch;
  return errc::success;
}

std::optional<completed_txn> producer_state_table::record_marker(
    std::int64_t producer_id, std::int16_t epoch, std::int32_t coordinator_epoch, bool commit,
    std::int64_t marker_offset, std::int64_t now_ms) {
  auto [it, inserted] = _producers.try_emplace(producer_id);
  producer_entry& entry = it->second;
  if (inserted) entry.producer_id = producer_id;
  set_epoch(entry, epoch);
  entry.coordinator_epoch = coordinator_epoch;
  entry.last_update_ms = now_ms;
  if (entry.current_txn_first_offset < 0) return std::nullopt;

  const completed_txn txn{producer_id, entry.current_txn_first_offset, marker_offset, !commit};
  _open_txns.erase(entry.current_txn_first_offset);
  entry.current_txn_first_offset = -1;
  return txn;
}

std::optional<std::int64_t> producer_state_table::first_unstable_offset() const {
  if (_open_txns.empty()) return std::nullopt;
  return _open_txns.begin()->first;
}

std::int64_t producer_state_table::last_stable_offset_after(const completed_txn& txn) const {
  for (const auto& [first_offset, producer_id] : _open_txns) {
    if (producer_id != txn.producer_id) return first_offset;
  }
  return txn.last_offset + 1;
}

std::size_t producer_state_table::expire(std::int64_t now_ms, std::int64_t expiration_ms) {
  return std::erase_if(_producers, [&](const auto& item) {
    const producer_entry& e = item.second;
    return e.current_txn_first_offset < 0 && now_ms - e.last_update_ms >= expiration_ms;
  });
}

std::size_t producer_state_table::remove_below(std::int64_t log_start_offset) {
  return std::erase_if(_producers, [&](const auto& item) {
    const producer_entry& e = item.second;
    if (e.current_txn_first_offset >= 0) return false;
    return e.batches.empty() || e.batches.back().last_offset < log_start_offset;
  });
}

void producer_state_table::clear() {
  _producers.clear();
  _open_txns.clear();
}

const producer_entry* producer_state_table::find(std::int64_t producer_id) const {
  const auto it = _producers.find(producer_id);
  return it == _producers.end() ? nullptr : &it->second;
}

std::vector<producer_entry> producer_state_table::entries() const {
  std::vector<producer_entry> out;
  out.reserve(_producers.size());
  for (const auto& [id, entry] : _producers) out.push_back(entry);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.producer_id < b.producer_id; });
  return out;
}

base::byte_buffer producer_state_table::encode_snapshot() const {
  namespace layout = snapshot_layout;
  const auto producers = entries();  // by producer id: the same table gives the same bytes
  std::size_t count = 0;
  for (const auto& p : producers) count += std::max<std::size_t>(1, p.batches.size());

  base::byte_buffer out;
  out.reserve(layout::entries_at + count * layout::entry_size);
  base::append_be(out, layout::version);
  base::append_be(out, std::uint32_t{0});  // the CRC, filled in below
  base::append_be(out, static_cast<std::int32_t>(count));
  for (const auto& p : producers) {
    snapshot_entry e{p.producer_id, p.epoch, model::no_sequence, -1, 0, p.last_update_ms,
                     p.coordinator_epoch, p.current_txn_first_offset};
    if (p.batches.empty()) append_entry(out, e);
    for (const auto& b : p.batches) {
      e.last_sequence = b.last_sequence;
      e.last_offset = b.last_offset;
      e.offset_delta = static_cast<std::int32_t>(b.last_offset - b.first_offset);
      e.timestamp = b.timestamp;
      append_entry(out, e);
    }
  }
  const auto crc = model::crc32c(base::byte_span(out).subspan(layout::count_at));
  base::store_be(out.data() + layout::crc_at, crc);
  return out;
}

result<producer_state_table> producer_state_table::decode_snapshot(base::byte_span bytes,
                                                                   std::int64_t now_ms) {
  namespace layout = snapshot_layout;
  if (bytes.size() < layout::entries_at) return base::failure(errc::corrupt_log);
  if (base::load_be<std::int16_t>(bytes.data() + layout::version_at) != layout::version) {
    return base::failure(errc::corrupt_log);
  }
  const auto crc = base::load_be<std::uint32_t>(bytes.data() + layout::crc_at);
  if (model::crc32c(bytes.subspan(layout::count_at)) != crc) return base::failure(errc::corrupt_log);
  const auto count = base::load_be<std::int32_t>(bytes.data() + layout::count_at);
  // Exactly `count` entries: fewer bytes is a truncation, more is garbage after the array.
  if (count < 0 ||
      bytes.size() - layout::entries_at != static_cast<std::size_t>(count) * layout::entry_size) {
    return base::failure(errc::corrupt_log);
  }

  producer_state_table table;
  for (std::int32_t i = 0; i < count; ++i) {
    const auto e = read_entry(bytes.data() + layout::entries_at +
                                  static_cast<std::size_t>(i) * layout::entry_size);
    auto [it, inserted] = table._producers.try_emplace(e.producer_id);
    producer_entry& entry = it->second;
    if (inserted) entry.producer_id = e.producer_id;
    // The last entry of a producer wins for everything but the batches, as in Kafka's reader.
    set_epoch(entry, e.epoch);
    entry.coordinator_epoch = e.coordinator_epoch;
    entry.current_txn_first_offset = e.current_txn_first_offset;
    entry.last_update_ms = now_ms;
    if (e.last_offset < 0) continue;  // a producer without batches
    if (e.offset_delta < 0 || e.last_sequence < 0 || e.offset_delta > e.last_offset) {
      return base::failure(errc::corrupt_log);
    }
    remember(entry, producer_batch{subtract_sequence(e.last_sequence, e.offset_delta),
                                   e.last_sequence, e.last_offset - e.offset_delta, e.last_offset,
                                   e.timestamp});
  }
  for (const auto& [id, entry] : table._producers) {
    if (entry.current_txn_first_offset < 0) continue;
    if (!table._open_txns.emplace(entry.current_txn_first_offset, id).second) {
      return base::failure(errc::corrupt_log);
    }
  }
  return table;
}

}  // namespace spate::storage
