// Every generated message, every version, request and response: random non-default contents
// survive encode -> decode -> encode byte for byte; size() is exact; truncation and garbage are
// rejected with decode_error. New schemas are covered automatically.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "protocol/codec_table.h"
#include "protocol/testing/roundtrip.h"
#include "protocol/wire.h"

namespace spate::protocol {
namespace {

constexpr int seeds_per_version = 12;

const message_codec& codec_for(const testing::roundtrip_case& c) {
  for (const auto& codec : message_codecs()) {
    if (codec.name == c.name) return codec;
  }
  ADD_FAILURE() << "no codec for " << c.name;
  return message_codecs().front();
}

TEST(roundtrip, covers_every_api_request_and_response) {
  std::size_t requests = 0;
  std::size_t responses = 0;
  for (const auto& c : testing::roundtrip_cases()) {
    requests += c.kind == message_kind::request;
    responses += c.kind == message_kind::response;
  }
  EXPECT_EQ(requests, responses);
  EXPECT_GE(requests, 46u);
  EXPECT_EQ(testing::roundtrip_cases().size(), message_codecs().size());
}

TEST(roundtrip, every_message_and_version_round_trips_byte_identically) {
  std::size_t checked = 0;
  for (const auto& c : testing::roundtrip_cases()) {
    const auto& codec = codec_for(c);
    for (std::int16_t v = codec.min_version; v <= codec.max_version; ++v) {
      for (std::uint64_t seed = 1; seed <= seeds_per_version; ++seed) {
        SCOPED_TRACE(std::string(c.name) + " v" + std::to_string(v) + " seed " + std::to_string(seed));
        base::byte_buffer encoded;
        std::string error;
        try {
          error = c.run(v, seed * 7919 + static_cast<std::uint64_t>(v), encoded);
        } catch (const std::exception& e) {
          error = std::string("exception: ") + e.what();
        }
        ASSERT_EQ(error, "");
        // The type-erased path agrees with the typed one.
        base::byte_buffer again;
        EXPECT_EQ(codec.decode_and_encode(encoded, v, again), encoded.size());
        EXPECT_EQ(again, encoded);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST(roundtrip, every_truncation_of_an_encoded_message_throws_decode_error) {
  for (const auto& c : testing::roundtrip_cases()) {
    const auto& codec = codec_for(c);
    for (std::int16_t v = codec.min_version; v <= codec.max_version; ++v) {
      SCOPED_TRACE(std::string(c.name) + " v" + std::to_string(v));
      base::byte_buffer encoded;
      ASSERT_EQ(c.run(v, 99, encoded), "");
      for (std::size_t len = 0; len < encoded.size(); ++len) {
        // A fresh copy of exactly `len` bytes, so ASan flags any read past the end.
        const base::byte_buffer prefix(encoded.begin(), encoded.begin() + static_cast<long>(len));
        base::byte_buffer out;
        EXPECT_THROW(codec.decode_and_encode(prefix, v, out), decode_error) << "prefix " << len;
      }
    }
  }
}

TEST(roundtrip, corrupted_and_random_input_never_crashes) {
  std::mt19937_64 rng(12345);
  for (const auto& c : testing::roundtrip_cases()) {
    const auto& codec = codec_for(c);
    for (std::int16_t v = codec.min_version; v <= codec.max_version; ++v) {
      base::byte_buffer encoded;
      ASSERT_EQ(c.run(v, 5, encoded), "");
      for (int i = 0; i < 20; ++i) {
        base::byte_buffer input = encoded;
        if (i < 10 && !input.empty()) {
          for (int flips = 0; flips < 3; ++flips) {
            input[rng() % input.size()] = static_cast<std::uint8_t>(rng());
          }
        } else {
          input.resize(rng() % 64);
          for (auto& b : input) b = static_cast<std::uint8_t>(rng());
        }
        base::byte_buffer out;
        try {
          codec.decode_and_encode(input, v, out);
        } catch (const decode_error&) {
          continue;
        } catch (const encode_error&) {
          continue;  // e.g. duplicate unknown tags: decodable, but we refuse to emit them
        }
        // Whatever decodes re-encodes to a fixed point.
        base::byte_buffer again;
        EXPECT_EQ(codec.decode_and_encode(out, v, again), out.size());
        EXPECT_EQ(again, out) << c.name << " v" << v;
      }
    }
  }
}

}  // namespace
}  // namespace spate::protocol
