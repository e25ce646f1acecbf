#pragma once
// Runs the dispatcher synchronously on a private io_context, and builds/reads frames with the
// generated codec, so handler tests read as request -> response.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>

#include "broker/broker.h"
#include "broker/txn_markers.h"
#include "fake_offsets_log.h"
#include "fake_transaction_log.h"
#include "group/coordinator.h"
#include "io/blocking_pool.h"
#include "io/clock.h"
#include "io/file.h"
#include "storage/log_manager.h"
#include "txn/transaction_coordinator.h"
#include "broker/dispatcher.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"
#include "protocol/wire.h"

namespace spate::broker::testing {

inline broker_options test_options() {
  broker_options options;
  options.node_id = 7;
  options.advertised_host = "broker.test";
  options.advertised_port = 19092;
  options.cluster_id = "AAAAAAAAAAAAAAAAAAAAAA";
  options.num_partitions = 2;
  return options;
}

// A broker over a fresh data directory in the temp dir, removed afterwards. Its group
// coordinator writes to an in-memory __consumer_offsets and reads time from a manual clock that
// only dispatch_driving_groups() moves (no timer thread: deadlines fire only there). Its
// transaction coordinator writes to an in-memory __transaction_state and its markers to the
// real logs.
class test_broker {
 public:
  // `fs`: the storage's file system (a fault-injecting one for failure tests); outlives the broker.
  explicit test_broker(broker_options options = test_options(), group::coordinator_config groups = {},
                       io::file_system* fs = nullptr)
      : dir_(std::filesystem::temp_directory_path() / ("spate-broker-test-" + std::to_string(std::random_device{}()))),
        pool_(2, "test"),
        groups_(groups, offsets_, group_clock_) {
    auto opened = storage::log_manager::open({dir_, storage::log_config{}},
                                             {fs ? fs : &io::posix_file_system(), &clock_, &pool_});
    if (!opened) throw std::runtime_error("cannot open test data dir");
    logs_ = std::move(opened.value());
    groups_.set_wakeup([] {});
    markers_ = std::make_unique<txn_markers>(*logs_, groups_, waiters_);
    transactions_ = std::make_unique<txn::transaction_coordinator>(txn::coordinator_config{}, transaction_log_,
                                                                   *markers_, producer_ids_, group_clock_);
    transactions_->set_wakeup([] {});
    transactions_->resume_after_load();
    broker_ = std::make_unique<broker>(std::move(options), *logs_, pool_, groups_, *transactions_, waiters_);
  }
  ~test_broker() {
    broker_.reset();
    transactions_->shutdown();
    (void)logs_->close();
    pool_.drain();
    logs_.reset();
    std::filesystem::remove_all(dir_);
  }
  test_broker(const test_broker&) = delete;
  test_broker& operator=(const test_broker&) = delete;

  broker& services() { return *broker_; }
  storage::log_manager& logs() { return *logs_; }
  group::coordinator& groups() { return groups_; }
  io::manual_clock& group_clock() { return group_clock_; }
  fake_offsets_log& offsets() { return offsets_; }
  operator broker&() { return *broker_; }

  void create_topic(const std::string& name, std::int32_t partitions, const storage::config_overrides& configs = {}) {
    if (!logs_->create_topic(name, partitions, configs)) throw std::runtime_error("create_topic failed");
  }

 private:
  std::filesystem::path dir_;
  io::system_clock clock_;
  io::blocking_pool pool_;
  std::unique_ptr<storage::log_manager> logs_;
  io::manual_clock group_clock_;
  fake_offsets_log offsets_;
  group::coordinator groups_;
  std::shared_ptr<partition_waiters> waiters_ = std::make_shared<partition_waiters>();
  fake_transaction_log transaction_log_;
  counting_producer_ids producer_ids_;
  std::unique_ptr<txn_markers> markers_;
  std::unique_ptr<txn::transaction_coordinator> transactions_;
  std::unique_ptr<broker> broker_;
};

// A response frame as the client receives it: spliced records (Fetch) flattened into the bytes.
inline std::optional<base::byte_buffer> flattened(const response_frame& frame) {
  if (!frame) return std::nullopt;
  return frame->flatten();
}

inline std::optional<base::byte_buffer> dispatch(broker& services, base::byte_buffer frame) {
  boost::asio::io_context io;
  dispatcher d(services);
  auto future = boost::asio::co_spawn(io, d.handle(std::move(frame), "test", io.get_executor()),
                                      boost::asio::use_future);
  io.run();
  return flattened(future.get());
}

// Runs `io` until `done()`. Whenever nothing has happened for a millisecond, the group coordinator
// may be holding an answer until a deadline (a JoinGroup waiting out the initial rebalance delay
// or the other members, a SyncGroup waiting for the leader): moves `clock` to the coordinator's
// next deadline and fires what is due, as the broker's timer thread would.
template <typename Done>
void run_driving_groups(boost::asio::io_context& io, group::coordinator& groups, io::manual_clock& clock,
                        Done done) {
  while (!done()) {
    io.restart();
    if (io.run_one_for(std::chrono::milliseconds(1)) > 0) continue;
    const auto next = groups.next_deadline();
    if (next > clock.now_ms() && next < std::numeric_limits<std::int64_t>::max()) clock.set(next);
    groups.expire_due();
  }
  io.restart();
  io.run();  // whatever is left (the coroutine's own completion)
}

// dispatch() for requests the group coordinator may hold (JoinGroup, SyncGroup).
inline std::optional<base::byte_buffer> dispatch_driving_groups(test_broker& services, base::byte_buffer frame) {
  boost::asio::io_context io;
  dispatcher d(services);
  auto future = boost::asio::co_spawn(io, d.handle(std::move(frame), "192.0.2.1:50000", io.get_executor()),
                                      boost::asio::use_future);
  run_driving_groups(io, services.groups(), services.group_clock(), [&future] {
    return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
  return flattened(future.get());
}

template <typename Request>
base::byte_buffer request_frame(const Request& request, std::int16_t version, std::int32_t correlation_id = 42) {
  protocol::request_header header;
  header.request_api_key = static_cast<std::int16_t>(Request::key);
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = "broker-test";
  base::byte_buffer out;
  protocol::writer w(out);
  header.encode(w, protocol::request_header_version(Request::key, version));
  request.encode(w, version);
  return out;
}

// Decodes a response frame for `Response` at `version`, checking the correlation id.
template <typename Response>
Response read_response(const base::byte_buffer& frame, std::int16_t version, std::int32_t correlation_id = 42) {
  protocol::reader r(base::byte_span(frame.data(), frame.size()));
  protocol::response_header header;
  header.decode(r, protocol::response_header_version(Response::key, version));
  if (header.correlation_id != correlation_id) throw std::runtime_error("wrong correlation id");
  Response response;
  response.decode(r, version);
  if (!r.empty()) throw std::runtime_error("trailing bytes after response");
  return response;
}

}  // namespace spate::broker::testing
