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

spate::broker::broker& fuzz_broker() {
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
  static spate::broker::dispatcher dispatcher(fuzz_broker());
  boost::asio::io_context io;
  spate::base::byte_buffer frame(data, data + size);
  boost::asio::co_spawn(io, dispatcher.handle(std::move(frame), "fuzz", io.get_executor()),
                        [](std::exception_ptr error, spate::broker::response_frame) {
                          if (!error) return;
                          try {
                            std::rethrow_exception(error);
                          } catch (const spate::broker::request_rejected&) {
                          } catch (const spate::protocol::decode_error&) {
                          }
                        });
  io.run();
  return 0;
}
