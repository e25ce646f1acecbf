#pragma once
// What a handler knows about the request it is answering. Lives for the duration of one request.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/any_io_executor.hpp>

#include "protocol/messages/request_header.h"

namespace spate::metrics {
class request_metrics;
}

namespace spate::broker {

class sasl_session;

class broker;

struct request_context {
  broker& services;
  const protocol::request_header& header;
  std::int16_t api_version;
  std::string_view peer;
  // The connection's event loop: handlers await timers on it (long polls), never block it.
  boost::asio::any_io_executor executor;
  // Where errors and topic traffic are counted; null when metrics are disabled.
  metrics::request_metrics* metrics = nullptr;
  // Stops reading this connection's requests for a while (quota throttling, KIP-219); null when
  // the transport cannot (the admin API's in-process calls).
  const std::function<void(std::chrono::milliseconds)>* mute_reads_for = nullptr;
  // The listener the request came in on (empty: none, an in-process call).
  std::string_view listener;
  // The authenticated principal ("User:alice"), User:ANONYMOUS on a PLAINTEXT listener.
  std::string_view principal = "User:ANONYMOUS";
  // The connection's authentication on a SASL listener; null on a PLAINTEXT listener (and for
  // in-process calls).
  sasl_session* session = nullptr;
  // Closes the connection once the responses of the requests read so far are written; null when
  // the transport cannot.
  const std::function<void()>* close_after_responses = nullptr;
  // The broker's own HTTP admin API (admin/kafka_call.h) calling a handler in-process: an operator
  // surface with its own reach (admin.listeners, loopback by default), not a Kafka principal, so
  // ACLs are not asked (broker/authorization.h).
  bool operator_call = false;
};

}  // namespace spate::broker
