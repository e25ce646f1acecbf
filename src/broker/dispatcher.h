#pragma once
// Turns one request frame into its response frame: reads the request header, finds the API in the
// served table, checks the version, and runs the handler. Thread-safe; one instance serves every
// connection.
//
// Errors follow Kafka: an ApiVersions request of a newer version than ours gets the KIP-511 v0
// UNSUPPORTED_VERSION response; an unknown API key, an unsupported version of any other API or a
// malformed request throws request_rejected, and the network layer closes that one connection; so
// does a request other than ApiVersions, SaslHandshake and SaslAuthenticate on a SASL connection
// that has not authenticated yet.
#include <chrono>
#include <functional>
#include <span>
#include <stdexcept>
#include <string_view>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "base/bytes.h"
#include "broker/handler.h"

namespace spate::broker {

class broker;
class sasl_session;

class request_rejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the dispatcher knows of a request's connection. Pointers may be null; what they point to
// outlives the call.
struct connection_facts {
  std::string_view peer;
  boost::asio::any_io_executor executor;
  // See request_context.
  const std::function<void(std::chrono::milliseconds)>* mute_reads_for = nullptr;
  // The listener's name (empty: none).
  std::string_view listener;
  // The connection's authentication on a SASL listener (null: none, every request is served as
  // User:ANONYMOUS). While it expects raw tokens (after a v0 SaslHandshake) a frame is a SASL token,
  // not a request, and is answered by a raw token.
  sasl_session* session = nullptr;
  // See request_context.
  const std::function<void()>* close_after_responses = nullptr;
  // The principal of a connection without SASL that authenticated otherwise (a client certificate
  // on an SSL listener: "User:CN=alice"); empty: User:ANONYMOUS. Ignored when `session` is set.
  std::string_view principal;
};

class dispatcher {
 public:
  explicit dispatcher(broker& services) : _services(services) {}

  // `frame` must stay valid until the returned coroutine completes (net/ keeps it so); the handler
  // may modify it (Produce appends its batches from the frame, stamping offsets in place).
  boost::asio::awaitable<response_frame> handle(std::span<std::uint8_t> frame, connection_facts connection);

  // The same, for callers without a connection. `mute_reads_for`: see request_context; may be
  // null; outlives the call.
  boost::asio::awaitable<response_frame> handle(
      std::span<std::uint8_t> frame, std::string_view peer, boost::asio::any_io_executor executor,
      const std::function<void(std::chrono::milliseconds)>* mute_reads_for = nullptr);
  // The same, owning the frame for the call (tests and fuzzers build frames as temporaries).
  boost::asio::awaitable<response_frame> handle(
      base::byte_buffer frame, std::string_view peer, boost::asio::any_io_executor executor,
      const std::function<void(std::chrono::milliseconds)>* mute_reads_for = nullptr);

 private:
  boost::asio::awaitable<response_frame> raw_token(base::byte_span frame, const connection_facts& connection);

  broker& _services;
};

}  // namespace spate::broker
