#pragma once
// An in-memory __transaction_state for broker tests: every append is durable at once, and
// producer ids count up from 1000.
#include <atomic>
#include <mutex>
#include <vector>

#include "txn/producer_id_manager.h"
#include "txn/transaction_log.h"

namespace spate::broker::testing {

class fake_transaction_log final : public txn::transaction_log {
 public:
  std::int32_t partition_count() const override { return 50; }
  void append(std::int32_t partition, std::vector<txn::transaction_record> records,
              std::function<void(storage::errc)> done) override {
    {
      std::lock_guard lock(_mutex);
      for (auto& r : records) _records.push_back({partition, std::move(r)});
    }
    done(storage::errc::success);
  }
  std::size_t record_count() const {
    std::lock_guard lock(_mutex);
    return _records.size();
  }

 private:
  mutable std::mutex _mutex;
  std::vector<std::pair<std::int32_t, txn::transaction_record>> _records;
};

class counting_producer_ids final : public txn::producer_id_allocator {
 public:
  txn::producer_id_result<std::int64_t> allocate() override { return _next.fetch_add(1); }

 private:
  std::atomic<std::int64_t> _next{1000};
};

}  // namespace spate::broker::testing
