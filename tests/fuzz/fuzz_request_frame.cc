// libFuzzer target: a request frame (without its size prefix) handed to the broker's dispatcher,
// exactly as net/ hands it over. The dispatcher may answer or reject the frame (request_rejected,
// decode_error: the connection would be closed); any other outcome — a crash, an over-read, an
// unexpected exception type — is a bug.
#include <cstddef>
#include <cstdint>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "../broker/broker_test_support.h"
#include "protocol/wire.h"

namespace {

spate::broker::testing::test_broker& fuzz_broker() {
  static spate::broker::testing::test_broker instance([] {
    auto options = spate::broker::testing::test_options();
    options.auto_create_topics = false;  // keep disk and memory bounded across millions of inputs
    return options;
  }());
  static const bool topics = [] {
    instance.create_topic("orders", 3);
    return true;
  }();
  (void)topics;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& broker = fuzz_broker();
  static spate::broker::dispatcher dispatcher(broker);
  boost::asio::io_context io;
  spate::base::byte_buffer frame(data, data + size);
  bool finished = false;
  boost::asio::co_spawn(io, dispatcher.handle(std::move(frame), "192.0.2.1:50000", io.get_executor()),
                        [&finished](std::exception_ptr error, spate::broker::response_frame) {
                          finished = true;
                          if (!error) return;
                          try {
                            std::rethrow_exception(error);
                          } catch (const spate::broker::request_rejected&) {
                          } catch (const spate::protocol::decode_error&) {
                          }
                        });
  // A JoinGroup or SyncGroup may be held until a group deadline: fire them instead of hanging.
  spate::broker::testing::run_driving_groups(io, broker.groups(), broker.group_clock(),
                                             [&finished] { return finished; });
  broker.offsets().clear();  // keep memory bounded across millions of inputs
  return 0;
}
