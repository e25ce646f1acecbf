#pragma once
// Runs the dispatcher synchronously on a private io_context, and builds/reads frames with the
// generated codec, so handler tests read as request -> response.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <memory>
#include <random>

#include "broker/broker.h"
#include "io/blocking_pool.h"
#include "io/clock.h"
#include "io/file.h"
#include "storage/log_manager.h"
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

// A broker over a fresh data directory in the temp dir, removed afterwards.
class test_broker {
 public:
  explicit test_broker(broker_options options = test_options())
      : dir_(std::filesystem::temp_directory_path() /
             ("spate-broker-test-" + std::to_string(std::random_device{}()))),
        pool_(2, "test") {
    auto opened = storage::log_manager::open({dir_, storage::log_config{}}, {&io::posix_file_system(), &clock_, &pool_});
    if (!opened) throw std::runtime_error("cannot open test data dir");
    logs_ = std::move(opened.value());
    broker_ = std::make_unique<broker>(std::move(options), *logs_, pool_);
  }
  ~test_broker() {
    broker_.reset();
    (void)logs_->close();
    pool_.drain();
    logs_.reset();
    std::filesystem::remove_all(dir_);
  }
  test_broker(const test_broker&) = delete;
  test_broker& operator=(const test_broker&) = delete;

  broker& services() { return *broker_; }
  storage::log_manager& logs() { return *logs_; }
  operator broker&() { return *broker_; }

  void create_topic(const std::string& name, std::int32_t partitions) {
    if (!logs_->create_topic(name, partitions)) throw std::runtime_error("create_topic failed");
  }

 private:
  std::filesystem::path dir_;
  io::system_clock clock_;
  io::blocking_pool pool_;
  std::unique_ptr<storage::log_manager> logs_;
  std::unique_ptr<broker> broker_;
};

inline response_frame dispatch(broker& services, base::byte_buffer frame) {
  boost::asio::io_context io;
  dispatcher d(services);
  auto future = boost::asio::co_spawn(io, d.handle(std::move(frame), "test", io.get_executor()),
                                      boost::asio::use_future);
  io.run();
  return future.get();
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
