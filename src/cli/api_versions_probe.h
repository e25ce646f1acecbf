#pragma once
// The API versions a broker serves, from a raw ApiVersions request over a plain TCP connection
// (librdkafka keeps them to itself). Encoded and decoded with the protocol module's messages.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spate::cli {

struct api_version_range {
  std::int16_t api_key = 0;
  std::int16_t min_version = 0;
  std::int16_t max_version = 0;
};

// Sends ApiVersions v3 (v0 if the broker answers UNSUPPORTED_VERSION) to `address` and returns the
// ranges sorted by key. PLAINTEXT only. Throws std::runtime_error naming the failure, within
// about `timeout_ms`.
std::vector<api_version_range> probe_api_versions(std::string_view address, int timeout_ms);

// The name of an API key ("Produce"), or "unknown" for keys the protocol module has no schema for.
std::string api_key_name(std::int16_t key);

}  // namespace spate::cli
