#pragma once
// Deterministic random values for the generated message fillers (test support only; linked into
// spate_protocol_testing, never into the broker).
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "protocol/types.h"

namespace spate::protocol::testing {

class random_source {
 public:
  explicit random_source(std::uint64_t seed) : _rng(seed) {}

  template <typename T>
  T integer() {
    // Half of the values small (varint-friendly, realistic), half over the full range.
    if (chance(2)) return static_cast<T>(_rng() % 100);
    return static_cast<T>(_rng());
  }
  bool boolean() { return (_rng() & 1) != 0; }
  double float64() { return static_cast<double>(static_cast<std::int32_t>(_rng())) / 7.0; }
  // True with probability 1/n.
  bool chance(unsigned n) { return _rng() % n == 0; }
  std::size_t count() { return static_cast<std::size_t>(_rng() % 4); }
  std::string string() {
    std::string s(static_cast<std::size_t>(_rng() % 9), ' ');
    for (auto& c : s) c = static_cast<char>('a' + _rng() % 26);
    return s;
  }
  bytes data() {
    bytes b(static_cast<std::size_t>(_rng() % 13));
    for (auto& x : b) x = static_cast<std::uint8_t>(_rng());
    return b;
  }
  uuid id() {
    uuid u;
    for (auto& x : u.value) x = static_cast<std::uint8_t>(_rng());
    return u;
  }
  // Sorted, distinct tags well above any tag Kafka assigns today, so they stay unknown.
  std::vector<tagged_field> unknown_tags() {
    std::vector<tagged_field> out;
    std::uint32_t tag = 90 + static_cast<std::uint32_t>(_rng() % 10);
    const std::size_t n = 1 + _rng() % 3;
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(tagged_field{tag, data()});
      tag += 1 + static_cast<std::uint32_t>(_rng() % 300);
    }
    return out;
  }

 private:
  std::mt19937_64 _rng;
};

}  // namespace spate::protocol::testing
