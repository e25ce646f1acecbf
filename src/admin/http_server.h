#pragma once
// A small HTTP/1.1 server (HTTPS with `tls`) on Boost.Beast with its own thread and io_context, so admin requests
// never run on the broker's Kafka event loops. Keep-alive; per request, the headers and body must
// arrive within `request_timeout` (else 408 and close: slowloris); a body over `max_body_bytes`
// gets 413 and the connection closes; beyond `max_connections` open connections, a new one gets
// 503 and is closed (over HTTPS, just closed). The TLS handshake must finish within
// `request_timeout`; a failed one logs one line and closes that connection. Each connection uses
// the TLS context current when it was accepted, so a reloaded certificate serves new connections
// only. Beast and OpenSSL stay in http_server.cc.
//
// Thread-safety: start() and stop() from one controlling thread; bound_port() and
// open_connections() from any thread. The handler runs on the server's thread, one request per
// connection at a time.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "admin/http_message.h"

namespace spate::net {
class tls_server_credentials;
}

namespace spate::admin {

struct http_server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::chrono::milliseconds request_timeout{10000};
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::size_t max_connections = 64;
  // HTTPS with these credentials (net/tls_context.h); null: plain HTTP.
  std::shared_ptr<net::tls_server_credentials> tls;
};

// Must not throw for expected errors (return a response); an exception becomes a 500.
using http_handler = std::function<boost::asio::awaitable<http_response>(http_request)>;

class http_server {
 public:
  http_server(http_server_options options, http_handler handler);
  ~http_server();  // stop()s
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and listens, then starts the thread. Throws boost::system::system_error when the address
  // cannot be resolved or bound. Call once.
  void start();
  // Stops accepting, closes every connection, and joins the thread once requests in progress have
  // finished. Idempotent.
  void stop();

  std::uint16_t bound_port() const;
  std::size_t open_connections() const;
  // The server thread's executor (for work the handler awaits).
  boost::asio::any_io_executor executor() const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace spate::admin
