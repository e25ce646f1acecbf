#pragma once
// Internal to kafka_connection: the byte stream under it, plain TCP or TLS over that TCP socket,
// with every operation bounded by one deadline. Blocking calls on a private io_context (Asio's
// blocking calls take no timeout, so each runs an asynchronous one until done or the deadline).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "cli/tls_client_settings.h"

namespace spate::cli {

// Not thread-safe; one request at a time.
class kafka_transport {
 public:
  using clock = std::chrono::steady_clock;

  // Connects to host:port and, with `tls`, completes the handshake (SNI and, when asked, the host
  // name check against `host`), all before `deadline`. Throws tls_error for TLS failures and
  // std::runtime_error for the rest (resolution, connect, timeout).
  kafka_transport(const std::string& host, const std::string& port, const std::optional<tls_client_settings>& tls,
                  clock::time_point deadline);
  ~kafka_transport();
  kafka_transport(const kafka_transport&) = delete;
  kafka_transport& operator=(const kafka_transport&) = delete;

  // Throw std::runtime_error naming `what` on failure, EOF or the deadline.
  void write_all(const std::uint8_t* data, std::size_t size, const char* what);
  void read_exactly(std::uint8_t* out, std::size_t size, const char* what);

 private:
  using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  boost::asio::ip::tcp::socket& socket();
  void handshake(const std::string& host, const std::string& address, bool verify_host_name);
  // Runs the io_context until the operation started before it reports `done`, or the deadline
  // passes (the socket is then closed and a timeout thrown).
  void run_until_done(const bool& done, const char* what);

  boost::asio::io_context _io;
  clock::time_point _deadline;
  // Declared before _stream: the stream's OpenSSL state refers to its context.
  std::unique_ptr<boost::asio::ssl::context> _tls_context;
  std::variant<boost::asio::ip::tcp::socket, tls_stream> _stream;
};

}  // namespace spate::cli
