#include "txn/producer_id_manager.h"

#include <limits>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "io/file.h"

namespace spate::txn {
namespace {

constexpr int file_version = 1;

struct block {
  std::int64_t next = 0;  // the next id to hand out
  std::int64_t end = 0;   // one past the block's last id
  bool exhausted() const { return next >= end; }
};

// The highest next_block_start we accept: room for the two blocks open() reserves after it.
constexpr std::int64_t max_block_start = std::numeric_limits<std::int64_t>::max() - 3 * producer_id_manager::block_size;

std::optional<std::int64_t> parse_block_file(const base::byte_buffer& bytes) {
  const auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto version = j.find("version");
  const auto start = j.find("next_block_start");
  if (version == j.end() || !version->is_number_integer() || version->get<std::int64_t>() != file_version) {
    return std::nullopt;
  }
  if (start == j.end() || !start->is_number_integer()) return std::nullopt;
  const auto value = start->get<std::int64_t>();
  if (value < 0 || value > max_block_start) return std::nullopt;
  return value;
}

bool write_block_file(io::file_system& fs, const std::filesystem::path& path, std::int64_t next_block_start) {
  const nlohmann::json j = {{"version", file_version}, {"next_block_start", next_block_start}};
  const std::string text = j.dump() + "\n";
  const base::byte_span bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  auto written = io::write_file_atomically(fs, path, bytes);
  if (!written) {
    SPATE_LOG_ERROR("event=producer_id_block_write_failed path={} next_block_start={} error=\"{}\"",
                    path.string(), next_block_start, written.error().message());
    return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(producer_id_errc e) {
  switch (e) {
    case producer_id_errc::not_ready: return "not_ready";
    case producer_id_errc::io_error: return "io_error";
    case producer_id_errc::corrupt_file: return "corrupt_file";
  }
  return "unknown";
}

std::filesystem::path producer_id_block_path(const std::filesystem::path& data_dir) {
  return data_dir / "producer-id-block";
}

struct producer_id_manager::state {
  state(io::file_system& f, std::filesystem::path p) : fs(f), path(std::move(p)) {}

  io::file_system& fs;
  const std::filesystem::path path;
  std::mutex mutex;  // guards everything below
  block current;
  std::optional<block> next;
  std::int64_t reserved_end = 0;  // as written in the file
  bool reserving = false;         // a background write is queued or running
};

producer_id_result<std::unique_ptr<producer_id_manager>> producer_id_manager::open(
    io::file_system& fs, const std::filesystem::path& data_dir, executor run_blocking) {
  const auto path = producer_id_block_path(data_dir);
  std::int64_t start = 0;
  auto bytes = io::read_whole_file(fs, path);
  if (bytes) {
    const auto parsed = parse_block_file(*bytes);
    if (!parsed) {
      SPATE_LOG_ERROR("event=producer_id_block_corrupt path={}", path.string());
      return base::failure(producer_id_errc::corrupt_file);
    }
    start = *parsed;
  } else if (bytes.error() != std::errc::no_such_file_or_directory) {
    SPATE_LOG_ERROR("event=producer_id_block_read_failed path={} error=\"{}\"", path.string(),
                    bytes.error().message());
    return base::failure(producer_id_errc::io_error);
  }
  const std::int64_t end = start + 2 * block_size;
  if (!write_block_file(fs, path, end)) return base::failure(producer_id_errc::io_error);
  SPATE_LOG_INFO("event=producer_ids_reserved first={} end={}", start, end);
  auto s = std::make_shared<state>(fs, path);
  s->current = block{start, start + block_size};
  s->next = block{start + block_size, end};
  s->reserved_end = end;
  return std::unique_ptr<producer_id_manager>(new producer_id_manager(std::move(s), std::move(run_blocking)));
}

producer_id_manager::producer_id_manager(std::shared_ptr<state> s, executor run_blocking)
    : _state(std::move(s)), _run_blocking(std::move(run_blocking)) {}

producer_id_manager::~producer_id_manager() = default;

producer_id_result<std::int64_t> producer_id_manager::allocate() {
  std::optional<std::int64_t> id;
  std::optional<std::int64_t> reserve_until;
  {
    std::lock_guard lock(_state->mutex);
    auto& s = *_state;
    if (s.current.exhausted() && s.next) {
      s.current = *s.next;
      s.next.reset();
    }
    if (!s.current.exhausted()) id = s.current.next++;
    // Keep one block in reserve: ask for it as soon as the spare one is in use (or when an
    // earlier attempt failed and nothing is left).
    if (!s.next && !s.reserving) {
      if (s.reserved_end > std::numeric_limits<std::int64_t>::max() - block_size) {
        SPATE_LOG_ERROR("event=producer_ids_exhausted reserved_end={}", s.reserved_end);
      } else {
        s.reserving = true;
        reserve_until = s.reserved_end + block_size;
      }
    }
  }
  if (reserve_until) reserve_next_block(*reserve_until);
  if (!id) return base::failure(producer_id_errc::not_ready);
  return *id;
}

void producer_id_manager::reserve_next_block(std::int64_t new_end) {
  auto task = [s = _state, new_end] {
    const bool ok = write_block_file(s->fs, s->path, new_end);
    std::lock_guard lock(s->mutex);
    s->reserving = false;
    if (!ok) return;
    s->reserved_end = new_end;
    s->next = block{new_end - block_size, new_end};
  };
  _run_blocking(std::move(task));
}

std::int64_t producer_id_manager::reserved_end() const {
  std::lock_guard lock(_state->mutex);
  return _state->reserved_end;
}

}  // namespace spate::txn
