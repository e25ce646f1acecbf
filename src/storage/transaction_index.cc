#include "storage/transaction_index.h"

#include <algorithm>

namespace spate::storage {

namespace {
constexpr std::int16_t txn_index_version = 0;
}  // namespace

base::byte_buffer encode_txn_index_entry(const aborted_txn& txn) {
  base::byte_buffer out;
  out.reserve(txn_index_entry_size);
  base::append_be(out, txn_index_version);
  base::append_be(out, txn.producer_id);
  base::append_be(out, txn.first_offset);
  base::append_be(out, txn.last_offset);
  base::append_be(out, txn.last_stable_offset);
  return out;
}

result<std::vector<aborted_txn>> decode_txn_index(base::byte_span bytes) {
  std::vector<aborted_txn> out;
  out.reserve(bytes.size() / txn_index_entry_size);
  // A partial entry at the end is a write the crash cut short: the marker it described is past
  // the recovered log end too, so replay re-adds it.
  for (; bytes.size() >= txn_index_entry_size; bytes = bytes.subspan(txn_index_entry_size)) {
    const std::uint8_t* p = bytes.data();
    if (base::load_be<std::int16_t>(p) != txn_index_version) return base::failure(errc::corrupt_log);
    out.push_back(aborted_txn{base::load_be<std::int64_t>(p + 2), base::load_be<std::int64_t>(p + 10),
                              base::load_be<std::int64_t>(p + 18),
                              base::load_be<std::int64_t>(p + 26)});
  }
  return out;
}

namespace {
bool marker_before(const aborted_txn& a, const aborted_txn& b) {
  return a.last_offset < b.last_offset;
}
}  // namespace

void aborted_txn_list::add(const aborted_txn& txn) {
  if (_entries.empty() || _entries.back().last_offset < txn.last_offset) {
    _entries.push_back(txn);
    return;
  }
  const auto at = std::lower_bound(_entries.begin(), _entries.end(), txn, marker_before);
  if (at != _entries.end() && at->last_offset == txn.last_offset) {
    *at = txn;
  } else {
    _entries.insert(at, txn);
  }
}

std::vector<aborted_txn> aborted_txn_list::collect(std::int64_t fetch_offset,
                                                   std::int64_t upper_bound_offset) const {
  std::vector<aborted_txn> out;
  // Entries whose marker is below the fetch offset ended before anything the fetch returns.
  const auto from = std::lower_bound(
      _entries.begin(), _entries.end(), fetch_offset,
      [](const aborted_txn& e, std::int64_t offset) { return e.last_offset < offset; });
  for (auto it = from; it != _entries.end(); ++it) {
    if (it->first_offset < upper_bound_offset) out.push_back(*it);
  }
  return out;
}

void aborted_txn_list::remove_below(std::int64_t offset) {
  std::erase_if(_entries, [&](const aborted_txn& e) { return e.last_offset < offset; });
}

void aborted_txn_list::remove_from(std::int64_t offset) {
  std::erase_if(_entries, [&](const aborted_txn& e) { return e.last_offset >= offset; });
}

}  // namespace spate::storage
