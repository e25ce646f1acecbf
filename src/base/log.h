#pragma once
// Structured logging: one line per event, `key=value` pairs, never payloads or secrets.
// Thread-safe (spdlog's default logger is synchronised).
#include <spdlog/spdlog.h>

namespace spate::base {

// Configures the process-wide logger: stderr, one line per event, ISO timestamps.
void init_logging(std::string_view level);

}  // namespace spate::base

#define SPATE_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define SPATE_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define SPATE_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define SPATE_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
