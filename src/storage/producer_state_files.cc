#include "storage/producer_state_files.h"

#include <algorithm>

#include "base/log.h"
#include "storage/file_names.h"
#include "storage/transaction_index.h"

namespace spate::storage {

std::vector<std::int64_t> snapshot_offsets(const std::vector<std::string>& names) {
  std::vector<std::int64_t> out;
  for (const auto& name : names)
    if (auto o = parse_segment_file_name(name, snapshot_suffix)) out.push_back(*o);
  std::sort(out.begin(), out.end());
  return out;
}

result<void> write_snapshot(io::file_system& fs, const std::filesystem::path& dir, std::int64_t offset,
                            const producer_state_table& table) {
  const auto path = dir / snapshot_file_name(offset);
  const auto bytes = table.encode_snapshot();
  auto tmp = path;
  tmp += ".tmp";
  auto f = fs.open(tmp, {.write = true, .create = true, .truncate = true});
  if (!f || !(*f)->pwrite(bytes, 0)) return base::failure(errc::io_error);
  f->reset();
  if (!fs.rename(tmp, path)) return base::failure(errc::io_error);
  return {};
}

std::optional<loaded_snapshot> load_snapshot(io::file_system& fs, const std::filesystem::path& dir,
                                             const std::vector<std::string>& names, std::int64_t limit,
                                             std::int64_t now_ms) {
  auto offsets = snapshot_offsets(names);
  std::optional<loaded_snapshot> out;
  for (auto it = offsets.rbegin(); it != offsets.rend(); ++it) {
    const auto path = dir / snapshot_file_name(*it);
    if (*it > limit || out) {
      if (*it > limit) (void)fs.unlink(path);
      continue;
    }
    auto bytes = io::read_whole_file(fs, path);
    auto table = bytes ? producer_state_table::decode_snapshot(*bytes, now_ms)
                       : result<producer_state_table>(base::failure(errc::io_error));
    if (!table) {
      SPATE_LOG_WARN("event=producer_snapshot_unusable path={} error={}", path.string(), to_string(table.error()));
      (void)fs.unlink(path);
      continue;
    }
    out = loaded_snapshot{*it, std::move(*table)};
  }
  return out;
}

result<std::vector<aborted_txn>> read_txn_index(io::file_system& fs, const std::filesystem::path& dir,
                                                std::int64_t base_offset) {
  auto bytes = io::read_whole_file(fs, dir / txn_index_file_name(base_offset));
  if (!bytes) return base::failure(errc::io_error);
  return decode_txn_index(*bytes);
}

result<void> append_txn_index(io::file_system& fs, const std::filesystem::path& dir, std::int64_t base_offset,
                              const aborted_txn& entry) {
  auto f = fs.open(dir / txn_index_file_name(base_offset), {.write = true, .create = true});
  if (!f) return base::failure(errc::io_error);
  auto size = (*f)->size();
  if (!size) return base::failure(errc::io_error);
  // A torn entry left by a crash is cut off so entries stay aligned.
  const auto aligned = *size - *size % txn_index_entry_size;
  if (!(*f)->pwrite(encode_txn_index_entry(entry), aligned)) return base::failure(errc::io_error);
  return {};
}

result<void> rewrite_txn_index(io::file_system& fs, const std::filesystem::path& dir, std::int64_t base_offset,
                               const std::vector<aborted_txn>& entries) {
  const auto path = dir / txn_index_file_name(base_offset);
  if (entries.empty()) {
    if (auto r = fs.unlink(path); !r && r.error() != std::errc::no_such_file_or_directory)
      return base::failure(errc::io_error);
    return {};
  }
  base::byte_buffer bytes;
  for (const auto& e : entries) {
    auto one = encode_txn_index_entry(e);
    bytes.insert(bytes.end(), one.begin(), one.end());
  }
  if (!io::write_file_atomically(fs, path, bytes)) return base::failure(errc::io_error);
  return {};
}

result<void> sync_txn_index(io::file_system& fs, const std::filesystem::path& dir, std::int64_t base_offset) {
  auto f = fs.open(dir / txn_index_file_name(base_offset), {.write = true});
  if (!f) {
    if (f.error() == std::errc::no_such_file_or_directory) return {};
    return base::failure(errc::io_error);
  }
  if (!(*f)->datasync()) return base::failure(errc::io_error);
  return {};
}

}  // namespace spate::storage
