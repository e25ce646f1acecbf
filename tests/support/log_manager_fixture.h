#pragma once
// A test fixture with a storage::log_manager in a temporary directory, on a fault-injecting file
// system, a manual clock and a blocking pool: what the tests of the internal topics
// (group/offsets_topic, txn/transaction_topic) run on. reopen_logs() is a clean broker restart.
#include <gtest/gtest.h>

#include <memory>

#include "../storage/helpers.h"
#include "io/blocking_pool.h"
#include "io/clock.h"
#include "io/fault_injection.h"
#include "storage/log_manager.h"

namespace spate::storage::test {

struct log_manager_fixture : ::testing::Test {
  temp_dir tmp;
  io::fault_injecting_file_system fs;
  io::manual_clock clock;
  io::blocking_pool pool{2, "test-logs"};
  std::unique_ptr<log_manager> logs;

  void SetUp() override { open_logs(); }
  void TearDown() override {
    if (logs) (void)logs->close();
    pool.drain();
  }

  void open_logs() {
    storage_config cfg;
    cfg.data_dir = tmp.path() / "data";
    auto m = log_manager::open(cfg, {&fs, &clock, &pool});
    ASSERT_TRUE(m) << to_string(m.error());
    logs = std::move(*m);
  }
  // Closes the log manager cleanly and opens it again on the same directory.
  void reopen_logs() {
    ASSERT_TRUE(logs->close());
    logs.reset();
    open_logs();
  }
};

}  // namespace spate::storage::test
