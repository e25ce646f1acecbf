#include "app/signal.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <csignal>

#include "net/server.h"

namespace spate::app {
namespace {

TEST(run_until_signal, stops_the_server_on_sigterm_and_returns_the_signal) {
  net::server_config config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.threads = 1;
  net::server s(config,
                [](const net::connection_info&,
                   base::byte_span frame) -> boost::asio::awaitable<std::optional<base::spliced_buffer>> {
                  co_return base::byte_buffer(frame.begin(), frame.end());
                });
  s.start();
  const auto port = s.bound_port();
  bool stopping_called = false;
  const int sig = run_until_signal(
      s, [] { std::raise(SIGTERM); }, [&] { stopping_called = true; });
  EXPECT_EQ(sig, SIGTERM);
  EXPECT_TRUE(stopping_called);
  EXPECT_EQ(s.open_connections(), 0u);

  // The listener is closed: a new connection is refused.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_TRUE(ec);
}

TEST(run_until_signal, runs_the_hangup_callback_on_each_sighup_and_keeps_serving) {
  net::server_config config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.threads = 1;
  net::server s(config,
                [](const net::connection_info&,
                   base::byte_span frame) -> boost::asio::awaitable<std::optional<base::spliced_buffer>> {
                  co_return base::byte_buffer(frame.begin(), frame.end());
                });
  s.start();
  int hangups = 0;
  const int sig = run_until_signal(
      s, [] { std::raise(SIGHUP); }, {},
      [&] {
        // The second SIGHUP proves the handler re-arms; then stop.
        if (++hangups == 1) {
          std::raise(SIGHUP);
        } else {
          std::raise(SIGTERM);
        }
      });
  EXPECT_EQ(sig, SIGTERM);
  EXPECT_EQ(hangups, 2);
}

}  // namespace
}  // namespace spate::app
