#include "app/signal.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "base/log.h"
#include "net/server.h"

namespace spate::app {

int run_until_signal(net::server& s, const std::function<void()>& on_ready, const std::function<void()>& before_stop) {
  boost::asio::io_context ctx(1);
  boost::asio::signal_set signals(ctx, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&received](const boost::system::error_code& ec, int signal_number) {
    if (!ec) received = signal_number;
  });
  if (on_ready) on_ready();
  ctx.run();
  SPATE_LOG_INFO("signal received signal={}, stopping", received);
  if (before_stop) before_stop();
  s.stop();
  return received;
}

}  // namespace spate::app
