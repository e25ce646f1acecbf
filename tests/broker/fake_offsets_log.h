#pragma once
// An in-memory __consumer_offsets for broker tests: appends are durable at once (done runs
// inline) and the records are kept per partition for inspection, each batch with the producer it
// was written for (TxnOffsetCommit). A record's log offset is its index in records(partition).
// Thread-safe.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "group/offsets_topic.h"
#include "storage/errc.h"

namespace spate::broker::testing {

class fake_offsets_log final : public group::offsets_log {
 public:
  // One append: where its records start in records(partition), how many, and its producer.
  struct batch {
    std::size_t first_record = 0;
    std::size_t record_count = 0;
    std::optional<group::transactional_producer> producer;
  };

  explicit fake_offsets_log(std::int32_t partitions = 50) : _partitions(partitions) {}

  std::int32_t partition_count() const override { return _partitions; }

  void append(std::int32_t partition, std::vector<group::offsets_record> records,
              std::optional<group::transactional_producer> producer, group::append_callback done) override {
    std::int64_t first_offset = -1;
    {
      std::lock_guard lock(_mutex);
      auto& log = _records[partition];
      if (!records.empty()) first_offset = static_cast<std::int64_t>(log.size());
      _batches[partition].push_back({log.size(), records.size(), producer});
      for (auto& r : records) log.push_back(std::move(r));
    }
    done(storage::errc::success, first_offset);
  }

  // Every record appended to `partition`, in order.
  std::vector<group::offsets_record> records(std::int32_t partition) const {
    std::lock_guard lock(_mutex);
    const auto it = _records.find(partition);
    return it == _records.end() ? std::vector<group::offsets_record>{} : it->second;
  }
  // Every append to `partition`, in order.
  std::vector<batch> batches(std::int32_t partition) const {
    std::lock_guard lock(_mutex);
    const auto it = _batches.find(partition);
    return it == _batches.end() ? std::vector<batch>{} : it->second;
  }
  std::size_t record_count() const {
    std::lock_guard lock(_mutex);
    std::size_t n = 0;
    for (const auto& [partition, log] : _records) n += log.size();
    return n;
  }
  void clear() {
    std::lock_guard lock(_mutex);
    _records.clear();
    _batches.clear();
  }

 private:
  const std::int32_t _partitions;
  mutable std::mutex _mutex;
  std::map<std::int32_t, std::vector<group::offsets_record>> _records;  // guarded by _mutex
  std::map<std::int32_t, std::vector<batch>> _batches;                  // guarded by _mutex
};

}  // namespace spate::broker::testing
