#pragma once
// Shared by the transaction coordinator tests: an in-memory __transaction_state whose appends
// complete at once, are held until the test releases them, or fail; a marker writer that records
// requests and answers when told; a counting producer id allocator; a fixture with a manual
// clock; and a holder for answers that may come later.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/clock.h"
#include "protocol/error_code.h"
#include "storage/errc.h"
#include "txn/marker_writer.h"
#include "txn/producer_id_manager.h"
#include "txn/transaction_coordinator.h"
#include "txn/transaction_log.h"
#include "txn/transaction_records.h"

namespace spate::protocol {
// gtest prints error codes by name.
inline void PrintTo(error_code e, std::ostream* os) { *os << error_name(e); }
}  // namespace spate::protocol

namespace spate::txn::test {

using storage::errc;
using ts = transaction_status;

// An in-memory transaction_log. Every append is recorded; `mode` decides its completion: at once
// with success, held until release_one()/release_all(), or at once with `fail_with`. Thread-safe;
// `done` never runs under its lock.
class fake_transaction_log final : public transaction_log {
 public:
  enum class mode { durable, hold, fail };
  struct batch {
    std::int32_t partition = 0;
    std::vector<transaction_record> records;
    bool completed = false;
    errc outcome = errc::success;
  };

  std::int32_t partition_count() const override { return 8; }

  void append(std::int32_t partition, std::vector<transaction_record> records,
              std::function<void(errc)> done) override {
    errc outcome = errc::success;
    {
      std::lock_guard lock(_mutex);
      _batches.push_back({partition, std::move(records), _mode != mode::hold, errc::success});
      if (_mode == mode::hold) {
        _held.push_back({_batches.size() - 1, std::move(done)});
        return;
      }
      if (_mode == mode::fail) outcome = _batches.back().outcome = _fail_with;
    }
    done(outcome);
  }

  void set_mode(mode m, errc fail_with = errc::io_error) {
    std::lock_guard lock(_mutex);
    _mode = m;
    _fail_with = fail_with;
  }
  std::size_t held() const {
    std::lock_guard lock(_mutex);
    return _held.size();
  }
  // Completes the oldest held append with `outcome`.
  void release_one(errc outcome = errc::success) {
    std::function<void(errc)> done;
    {
      std::lock_guard lock(_mutex);
      if (_held.empty()) throw std::logic_error("no held append");
      auto h = std::move(_held.front());
      _held.pop_front();
      _batches[h.index].completed = true;
      _batches[h.index].outcome = outcome;
      done = std::move(h.done);
    }
    done(outcome);
  }
  void release_all(errc outcome = errc::success) {
    while (held() > 0) release_one(outcome);
  }

  std::size_t batch_count() const {
    std::lock_guard lock(_mutex);
    return _batches.size();
  }
  batch last_batch() const {
    std::lock_guard lock(_mutex);
    if (_batches.empty()) throw std::logic_error("nothing appended");
    return _batches.back();
  }
  // The state the last appended record (of any outcome) says for its id.
  std::optional<transaction_value> last_value() const {
    const auto b = last_batch();
    if (b.records.empty() || !b.records.back().value) return std::nullopt;
    return decode_value(*b.records.back().value);
  }
  // The statuses written, in order (tombstones excluded).
  std::vector<ts> statuses() const {
    std::lock_guard lock(_mutex);
    std::vector<ts> out;
    for (const auto& b : _batches) {
      for (const auto& r : b.records) {
        if (r.value) out.push_back(decode_value(*r.value)->status);
      }
    }
    return out;
  }
  // The records of the appends that completed successfully, in append order: what a restarted
  // coordinator would replay.
  std::vector<transaction_record> durable_records() const {
    std::lock_guard lock(_mutex);
    std::vector<transaction_record> out;
    for (const auto& b : _batches) {
      if (!b.completed || b.outcome != errc::success) continue;
      out.insert(out.end(), b.records.begin(), b.records.end());
    }
    return out;
  }

 private:
  struct held_append {
    std::size_t index;
    std::function<void(errc)> done;
  };
  mutable std::mutex _mutex;
  mode _mode = mode::durable;           // guarded by _mutex
  errc _fail_with = errc::io_error;     // guarded by _mutex
  std::vector<batch> _batches;          // guarded by _mutex
  std::deque<held_append> _held;        // guarded by _mutex
};

// Records every write_markers call; answers them when the test says so, or at once with success
// when `auto_succeed` is set. Thread-safe; `done` never runs under its lock.
class fake_marker_writer final : public marker_writer {
 public:
  struct request {
    std::int64_t producer_id = 0;
    std::int16_t producer_epoch = 0;
    std::int32_t coordinator_epoch = 0;
    bool commit = false;
    std::vector<topic_partition> partitions;
  };

  void write_markers(std::int64_t producer_id, std::int16_t producer_epoch, std::int32_t coordinator_epoch,
                     bool commit, std::vector<topic_partition> partitions,
                     std::function<void(std::vector<errc>)> done) override {
    std::size_t n = partitions.size();
    {
      std::lock_guard lock(_mutex);
      _requests.push_back({producer_id, producer_epoch, coordinator_epoch, commit, std::move(partitions)});
      if (!_auto_succeed) {
        _pending.push_back(std::move(done));
        return;
      }
    }
    done(std::vector<errc>(n, errc::success));
  }

  void set_auto_succeed(bool on) {
    std::lock_guard lock(_mutex);
    _auto_succeed = on;
  }
  std::vector<request> requests() const {
    std::lock_guard lock(_mutex);
    return _requests;
  }
  std::size_t pending() const {
    std::lock_guard lock(_mutex);
    return _pending.size();
  }
  // Answers the oldest unanswered request with `outcomes` (one per partition).
  void answer(std::vector<errc> outcomes) {
    std::function<void(std::vector<errc>)> done;
    {
      std::lock_guard lock(_mutex);
      if (_pending.empty()) throw std::logic_error("no pending marker write");
      done = std::move(_pending.front());
      _pending.pop_front();
    }
    done(std::move(outcomes));
  }
  // Answers the oldest unanswered request with success for every partition.
  void succeed() {
    std::size_t n;
    {
      std::lock_guard lock(_mutex);
      if (_pending.empty()) throw std::logic_error("no pending marker write");
      n = _requests[_requests.size() - _pending.size()].partitions.size();
    }
    answer(std::vector<errc>(n, errc::success));
  }

 private:
  mutable std::mutex _mutex;
  bool _auto_succeed = true;                                    // guarded by _mutex
  std::vector<request> _requests;                               // guarded by _mutex
  std::deque<std::function<void(std::vector<errc>)>> _pending;  // guarded by _mutex
};

// Hands out 1000, 1001, ...; or nothing while `ready` is false.
class fake_producer_ids final : public producer_id_allocator {
 public:
  producer_id_result<std::int64_t> allocate() override {
    std::lock_guard lock(_mutex);
    if (!_ready) return base::failure(producer_id_errc::not_ready);
    return _next++;
  }
  void set_ready(bool ready) {
    std::lock_guard lock(_mutex);
    _ready = ready;
  }
  std::int64_t next() const {
    std::lock_guard lock(_mutex);
    return _next;
  }

 private:
  mutable std::mutex _mutex;
  bool _ready = true;         // guarded by _mutex
  std::int64_t _next = 1000;  // guarded by _mutex
};

// An answer that may arrive later (or never). Fails the test if the callback runs twice.
template <typename T>
class answer {
 public:
  std::function<void(T)> callback() const {
    return [state = _state](T result) {
      EXPECT_FALSE(state->has_value()) << "answered twice";
      *state = std::move(result);
    };
  }
  bool ready() const { return _state->has_value(); }
  const T& get() const {
    if (!ready()) throw std::logic_error("not answered yet");
    return **_state;
  }

 private:
  std::shared_ptr<std::optional<T>> _state = std::make_shared<std::optional<T>>();
};

inline constexpr std::int32_t default_timeout_ms = 60000;

struct coordinator_fixture : ::testing::Test {
  io::manual_clock clock{1'700'000'000'000};
  fake_transaction_log log;
  fake_marker_writer markers;
  fake_producer_ids ids;
  coordinator_config config;
  std::unique_ptr<transaction_coordinator> coordinator;

  void SetUp() override { start(); }

  // A fresh coordinator over the same fakes (replaying `records` first), serving.
  void start(const std::vector<transaction_record>& records = {}) {
    coordinator = std::make_unique<transaction_coordinator>(config, log, markers, ids, clock);
    for (const auto& r : records) {
      std::optional<base::byte_span> value;
      if (r.value) value = base::byte_span(*r.value);
      coordinator->load_record(r.key, value);
    }
    coordinator->resume_after_load();
  }
  // What a restart after everything durable so far would see.
  void restart() { start(log.durable_records()); }

  answer<init_producer_id_result> init_async(std::optional<std::string> id, std::int32_t timeout = default_timeout_ms,
                                             std::int64_t producer_id = -1, std::int16_t epoch = -1) {
    answer<init_producer_id_result> a;
    coordinator->init_producer_id({std::move(id), timeout, producer_id, epoch}, a.callback());
    return a;
  }
  init_producer_id_result init(std::optional<std::string> id, std::int32_t timeout = default_timeout_ms,
                               std::int64_t producer_id = -1, std::int16_t epoch = -1) {
    auto a = init_async(std::move(id), timeout, producer_id, epoch);
    EXPECT_TRUE(a.ready());
    return a.ready() ? a.get() : init_producer_id_result{.error = protocol::error_code::unknown_server_error};
  }

  answer<add_partitions_result> add_async(const std::string& id, std::int64_t producer_id, std::int16_t epoch,
                                          std::vector<topic_partition> partitions) {
    answer<add_partitions_result> a;
    coordinator->add_partitions({id, producer_id, epoch, std::move(partitions)}, a.callback());
    return a;
  }
  protocol::error_code add(const std::string& id, std::int64_t producer_id, std::int16_t epoch,
                           std::vector<topic_partition> partitions) {
    const std::size_t n = partitions.size();
    auto a = add_async(id, producer_id, epoch, std::move(partitions));
    EXPECT_TRUE(a.ready());
    if (!a.ready()) return protocol::error_code::unknown_server_error;
    EXPECT_EQ(a.get().partition_errors, std::vector<protocol::error_code>(n, a.get().error));
    return a.get().error;
  }

  answer<protocol::error_code> end_async(const std::string& id, std::int64_t producer_id, std::int16_t epoch,
                                         bool commit) {
    answer<protocol::error_code> a;
    coordinator->end_transaction({id, producer_id, epoch, commit}, a.callback());
    return a;
  }
  protocol::error_code end(const std::string& id, std::int64_t producer_id, std::int16_t epoch, bool commit) {
    auto a = end_async(id, producer_id, epoch, commit);
    EXPECT_TRUE(a.ready());
    return a.ready() ? a.get() : protocol::error_code::unknown_server_error;
  }

  // Kafka's state name of `id`, or "" when unknown.
  std::string state_of(const std::string& id) {
    const auto d = coordinator->describe({id});
    return d.at(0).error == protocol::error_code::none ? d.at(0).state : "";
  }
  transaction_description describe_one(const std::string& id) { return coordinator->describe({id}).at(0); }

  // Runs expire_due() after moving the clock to `ms` past its current time.
  void advance(std::int64_t ms) {
    clock.advance(ms);
    coordinator->expire_due();
  }
};

}  // namespace spate::txn::test
