// libFuzzer target (-DSPATE_FUZZ=ON, clang): decodes arbitrary bytes as any message and version.
// Input: byte 0 picks the message, byte 1 the version, the rest is the message body. Decoding may
// only fail with decode_error; whatever decodes must re-encode to a fixed point.
#include <cstddef>
#include <cstdint>

#include "protocol/codec_table.h"
#include "protocol/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spate::protocol;
  if (size < 2) return 0;
  const auto codecs = message_codecs();
  const message_codec& codec = codecs[data[0] % codecs.size()];
  const int span = codec.max_version - codec.min_version + 1;
  const auto version = static_cast<std::int16_t>(codec.min_version + data[1] % span);
  const spate::base::byte_span body(data + 2, size - 2);
  spate::base::byte_buffer first;
  try {
    codec.decode_and_encode(body, version, first);
  } catch (const decode_error&) {
    return 0;
  } catch (const encode_error&) {
    return 0;  // e.g. duplicate unknown tags: decodable, but we refuse to emit them
  }
  spate::base::byte_buffer second;
  codec.decode_and_encode(first, version, second);
  if (first != second) __builtin_trap();
  return 0;
}
