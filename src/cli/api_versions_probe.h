#pragma once
// The API versions a broker serves, from a raw ApiVersions request over kafka_connection
// (librdkafka keeps them to itself). Encoded and decoded with the protocol module's messages.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cli/client_options.h"

namespace spate::cli {

struct api_version_range {
  std::int16_t api_key = 0;
  std::int16_t min_version = 0;
  std::int16_t max_version = 0;
};

// Sends ApiVersions v3 (v0 if the broker answers UNSUPPORTED_VERSION) to the first -b broker of
// `options`, connected as its -X properties say (open_connection), and returns the ranges sorted
// by key. Throws command_error naming `what` when connecting fails, std::runtime_error naming any
// later failure, within about the options' timeout.
std::vector<api_version_range> probe_api_versions(const client_options& options, std::string_view what);

// The name of an API key ("Produce"), or "unknown" for keys the protocol module has no schema for.
std::string api_key_name(std::int16_t key);

}  // namespace spate::cli
