#include "protocol/coordinator_placement.h"

#include <climits>

#include "base/assert.h"

namespace spate::protocol {
namespace {

// Java's String.hashCode() fold over UTF-16 code units, in unsigned arithmetic (int32 wrap).
struct java_hash {
  std::uint32_t h = 0;
  void unit(std::uint32_t u) { h = 31 * h + u; }
  void code_point(std::uint32_t cp) {
    if (cp < 0x10000) {
      unit(cp);
    } else {
      cp -= 0x10000;
      unit(0xD800 + (cp >> 10));
      unit(0xDC00 + (cp & 0x3FF));
    }
  }
};

constexpr std::uint32_t replacement = 0xFFFD;

bool is_continuation(std::uint8_t b) { return (b & 0xC0) == 0x80; }

// Three-byte lead E0..EF with second byte `b2`: E0 needs A0..BF (shorter forms are overlong).
// Encoded surrogates (ED A0..BF ..) pass here and are replaced after decoding, as Java does.
bool bad_second_of_three(std::uint8_t b1, std::uint8_t b2) {
  return (b1 == 0xE0 && b2 < 0xA0) || !is_continuation(b2);
}

// Four-byte lead F0..F4 with second byte `b2`: F0 needs 90..BF, F4 needs 80..8F.
bool bad_second_of_four(std::uint8_t b1, std::uint8_t b2) {
  return (b1 == 0xF0 && (b2 < 0x90 || b2 > 0xBF)) || (b1 == 0xF4 && (b2 & 0xF0) != 0x80) ||
         !is_continuation(b2);
}

}  // namespace

// Follows the decoding rules of JDK 17's String(byte[], UTF_8) (String.decodeUTF8_UTF16): where a
// malformed sequence gets one U+FFFD, how many bytes it swallows, and what a truncated sequence at
// the end does. Checked against the JVM byte-for-byte on random input when written; the golden
// values in tests/group/offsets_records_test.cc come from Java.
std::int32_t java_string_hash(std::string_view utf8) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const std::size_t n = utf8.size();
  java_hash h;
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t b1 = s[i++];
    if (b1 < 0x80) {
      h.unit(b1);
    } else if (b1 >= 0xC2 && b1 <= 0xDF) {
      if (i < n && is_continuation(s[i])) {
        h.unit(((b1 & 0x1Fu) << 6) | (s[i] & 0x3Fu));
        ++i;
      } else {
        h.unit(replacement);  // the next byte, if any, starts afresh
      }
    } else if ((b1 & 0xF0) == 0xE0) {
      if (i + 1 < n) {
        const std::uint8_t b2 = s[i];
        const std::uint8_t b3 = s[i + 1];
        if (bad_second_of_three(b1, b2) || !is_continuation(b3)) {
          h.unit(replacement);
          if (!bad_second_of_three(b1, b2)) ++i;  // the lead and a good second byte go together
        } else {
          const std::uint32_t c = ((b1 & 0x0Fu) << 12) | ((b2 & 0x3Fu) << 6) | (b3 & 0x3Fu);
          h.unit(c >= 0xD800 && c <= 0xDFFF ? replacement : c);
          i += 2;
        }
      } else if (i < n && bad_second_of_three(b1, s[i])) {
        h.unit(replacement);
      } else {
        // A truncated sequence at the end: one replacement for the rest of the input.
        h.unit(replacement);
        break;
      }
    } else if (b1 >= 0xF0 && b1 <= 0xF7) {
      if (i + 2 < n) {
        const std::uint8_t b2 = s[i];
        const std::uint8_t b3 = s[i + 1];
        const std::uint8_t b4 = s[i + 2];
        const std::uint32_t cp = ((b1 & 0x07u) << 18) | ((b2 & 0x3Fu) << 12) |
                                 ((b3 & 0x3Fu) << 6) | (b4 & 0x3Fu);
        if (!is_continuation(b2) || !is_continuation(b3) || !is_continuation(b4) ||
            cp < 0x10000 || cp > 0x10FFFF) {
          h.unit(replacement);
          // Skip the lead, plus the second byte and third byte while they continue a valid prefix.
          if (!(b1 > 0xF4 || bad_second_of_four(b1, b2))) i += is_continuation(b3) ? 2 : 1;
        } else {
          h.code_point(cp);
          i += 3;
        }
        continue;
      }
      if (b1 > 0xF4 || (i < n && bad_second_of_four(b1, s[i]))) {
        h.unit(replacement);
        continue;
      }
      // A truncated sequence at the end: one replacement, and the input ends unless the third
      // byte present is not a continuation (then it starts afresh).
      ++i;
      h.unit(replacement);
      if (i < n && !is_continuation(s[i])) continue;
      break;
    } else {
      h.unit(replacement);  // a stray continuation byte, C0, C1 or F8..FF
    }
  }
  return static_cast<std::int32_t>(h.h);
}

std::int32_t coordinator_partition(std::string_view key, std::int32_t partition_count) {
  // Invariant: internal topics have at least one partition.
  SPATE_ASSERT(partition_count > 0, "coordinator_partition needs a positive partition count");
  const std::int32_t hash = java_string_hash(key);
  // Kafka's Utils.abs: 0 for Integer.MIN_VALUE (whose Math.abs is itself), else the magnitude.
  const std::int32_t magnitude = hash == INT32_MIN ? 0 : (hash < 0 ? -hash : hash);
  return magnitude % partition_count;
}

}  // namespace spate::protocol
