#include "app/signal.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "base/log.h"
#include "net/server.h"

namespace spate::app {

int run_until_signal(net::server& s, const std::function<void()>& on_ready, const std::function<void()>& before_stop,
                     const std::function<void()>& on_hangup) {
  boost::asio::io_context ctx(1);
  // SIGHUP is caught even without on_hangup: its default action would end the process.
  boost::asio::signal_set signals(ctx, SIGINT, SIGTERM, SIGHUP);
  int received = 0;
  std::function<void()> wait = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
      if (ec) return;
      if (signal_number == SIGHUP) {
        SPATE_LOG_INFO("signal received signal={}, reloading", signal_number);
        if (on_hangup) on_hangup();
        wait();
        return;
      }
      received = signal_number;
    });
  };
  wait();
  if (on_ready) on_ready();
  ctx.run();
  SPATE_LOG_INFO("signal received signal={}, stopping", received);
  if (before_stop) before_stop();
  s.stop();
  return received;
}

}  // namespace spate::app
