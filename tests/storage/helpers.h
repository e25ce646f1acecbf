#pragma once
// Shared fixtures for storage tests: a temporary directory, batches built with model's builder, a
// fault-injecting file system, a manual clock and a blocking pool.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "io/blocking_pool.h"
#include "io/clock.h"
#include "io/fault_injection.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/partition_log.h"

namespace spate::storage::test {

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "spate-storage-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One batch of `records` records, each with a `value_size`-byte value, timestamps ts, ts+1, ...
inline base::byte_buffer make_batch(int records, std::int64_t ts, std::size_t value_size = 20) {
  model::record_batch_builder b(model::compression_type::none, 0);
  base::byte_buffer value(value_size, 'v');
  for (int i = 0; i < records; ++i) b.append(ts + i, std::nullopt, base::byte_span(value));
  return b.build();
}

// The whole batches in `bytes` (views into it).
inline std::vector<base::byte_span> batches_of(base::byte_span bytes) {
  auto r = model::split_batches(bytes);
  EXPECT_TRUE(r.has_value());
  return r ? r->batches : std::vector<base::byte_span>{};
}

struct log_fixture : ::testing::Test {
  temp_dir tmp;
  io::fault_injecting_file_system fs;
  io::manual_clock clock;
  io::blocking_pool pool{2, "test-flush"};
  std::int64_t page_cache_keep_bytes = -1;  // partition_log::options of the logs open_log() opens
  std::filesystem::path dir() const { return tmp.path() / "t-0"; }

  log_config small_config() {
    log_config c;
    c.index_interval_bytes = 256;
    return c;
  }

  std::shared_ptr<partition_log> open_log(const log_config& cfg, bool clean = true,
                                          std::int64_t recovery_point = 0, std::int64_t lso = 0) {
    std::filesystem::create_directories(dir());
    partition_log::options o;
    o.topic = "t";
    o.partition = 0;
    o.dir = dir();
    o.config = cfg;
    o.fs = &fs;
    o.clock = &clock;
    o.pool = &pool;
    o.clean_shutdown = clean;
    o.recovery_point = recovery_point;
    o.log_start_offset = lso;
    o.page_cache_keep_bytes = page_cache_keep_bytes;
    auto r = partition_log::open(o);
    EXPECT_TRUE(r.has_value()) << (r ? "" : to_string(r.error()));
    return r ? *r : nullptr;
  }

  // Appends a fresh batch and returns its result.
  append_result append(partition_log& log, int records, std::int64_t ts, std::size_t value_size = 20) {
    auto b = make_batch(records, ts, value_size);
    auto r = log.append(b);
    EXPECT_TRUE(r.has_value()) << (r ? "" : to_string(r.error()));
    return r ? *r : append_result{};
  }

  // Drops the log (and its pending flush tasks) without a clean close.
  void drop(std::shared_ptr<partition_log>& log) {
    pool.drain();
    log.reset();
  }
};

}  // namespace spate::storage::test
