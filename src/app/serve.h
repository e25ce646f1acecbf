#pragma once
#include "app/config.h"

namespace spate::app {

// Runs a broker with `config` until SIGINT or SIGTERM. Returns the process exit code.
int run_broker(const broker_config& config);

}  // namespace spate::app
