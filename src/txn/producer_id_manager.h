#pragma once
// Producer ids (Kafka's ProducerIdManager, for one broker): every id handed out is new, across
// restarts too, because ids are taken from blocks of `block_size` whose reservation is made
// durable in `<data>/producer-id-block` before any id of the block is handed out.
//
// The file (JSON, replaced atomically: tmp file, fdatasync, rename, directory fsync):
//   {"version":1,"next_block_start":3000}
// means every id below 3000 may have been handed out; the next run starts at 3000.
//
// Two blocks are held: the current one and a reserved next one. allocate() takes from the current
// block under a mutex and never does I/O; when the current block runs out it switches to the next
// and asks `run_blocking` (the broker's blocking pool) to reserve another block in the background.
// Only when both run out before that write is durable does allocate() fail with not_ready
// (retriable: the coordinator answers COORDINATOR_LOAD_IN_PROGRESS). A failed background write is
// logged and tried again by the next allocate() that finds no block.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "base/result.h"

namespace spate::io {
class file_system;
}

namespace spate::txn {

enum class producer_id_errc : std::uint8_t {
  not_ready,     // allocate(): no reserved block is durable yet; retry shortly
  io_error,      // open(): the block file could not be read or written
  corrupt_file,  // open(): the block file is not what we write
};
std::string_view to_string(producer_id_errc e);

template <typename T>
using producer_id_result = base::result<T, producer_id_errc>;

// What the transaction coordinator takes ids from (an interface so that its tests can use a fake).
class producer_id_allocator {
 public:
  virtual ~producer_id_allocator() = default;
  // A producer id never handed out before. Non-blocking and thread-safe.
  virtual producer_id_result<std::int64_t> allocate() = 0;
};

// `<data_dir>/producer-id-block`.
std::filesystem::path producer_id_block_path(const std::filesystem::path& data_dir);

// Thread-safe. Background reservations hold the manager's state alive, so destroying the manager
// while one is queued is safe; `fs` must outlive them (the process-wide POSIX one does).
class producer_id_manager final : public producer_id_allocator {
 public:
  static constexpr std::int64_t block_size = 1000;
  // Runs a blocking task elsewhere (the broker's blocking pool), possibly inline.
  using executor = std::function<void(std::function<void()>)>;

  // Blocking, at start-up: reads the block file (a missing file means nothing was ever handed
  // out), reserves the first two blocks past everything previously reserved and makes that
  // durable before returning. Errors: io_error, corrupt_file (unparsable, wrong version, or a
  // negative or overflowing next_block_start).
  static producer_id_result<std::unique_ptr<producer_id_manager>> open(
      io::file_system& fs, const std::filesystem::path& data_dir, executor run_blocking);

  producer_id_result<std::int64_t> allocate() override;

  // Every id below it is reserved in the file (for tests and metrics).
  std::int64_t reserved_end() const;

  ~producer_id_manager() override;
  producer_id_manager(const producer_id_manager&) = delete;
  producer_id_manager& operator=(const producer_id_manager&) = delete;

 private:
  struct state;
  producer_id_manager(std::shared_ptr<state> s, executor run_blocking);
  // Starts the background reservation of the block after reserved_end; without the lock.
  void reserve_next_block(std::int64_t new_end);

  std::shared_ptr<state> _state;
  executor _run_blocking;
};

}  // namespace spate::txn
