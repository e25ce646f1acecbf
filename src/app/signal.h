#pragma once
// Process signals: how `spate serve` waits for SIGINT/SIGTERM and stops its server.
#include <functional>

namespace spate::net {
class server;
}

namespace spate::app {

// Blocks the calling thread until SIGINT or SIGTERM arrives, then stops `s` and returns the signal
// number. `on_ready`, if given, is called once the signal handlers are installed (tests use it to
// raise the signal without a race); `before_stop`, if given, runs after the signal and before the
// server stops (to release requests held by long waits); `on_hangup`, if given, runs at each
// SIGHUP (reload the TLS certificates), which otherwise is ignored. Only one caller per process at
// a time.
int run_until_signal(net::server& s, const std::function<void()>& on_ready = {},
                     const std::function<void()>& before_stop = {}, const std::function<void()>& on_hangup = {});

}  // namespace spate::app
