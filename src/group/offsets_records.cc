#include "group/offsets_records.h"

#include "base/assert.h"
#include "protocol/messages/group_metadata_key.h"
#include "protocol/messages/group_metadata_value.h"
#include "protocol/messages/offset_commit_key.h"
#include "protocol/messages/offset_commit_value.h"
#include "protocol/wire.h"

namespace spate::group {
namespace {

constexpr std::int16_t offset_value_version = 3;
constexpr std::int16_t offset_value_version_with_expiry = 1;
constexpr std::int16_t group_value_version = 3;

// The int16 version, then `msg` at that version.
template <typename Message>
base::byte_buffer encode_versioned(const Message& msg, std::int16_t version) {
  base::byte_buffer out;
  out.reserve(2 + msg.size(version));
  protocol::writer w(out);
  w.write_int16(version);
  msg.encode(w, version);
  return out;
}

// The version prefix of a record key or value; nullopt when the bytes are shorter than it.
std::optional<std::int16_t> read_version(base::byte_span bytes) {
  if (bytes.size() < 2) return std::nullopt;
  return base::load_be<std::int16_t>(bytes.data());
}

// `Message` at `version` from the bytes after the version prefix. Every byte must belong to the
// struct: trailing bytes mean the record is not what its version says.
template <typename Message>
std::optional<Message> decode_versioned(base::byte_span bytes, std::int16_t version) {
  if (version < Message::min_version || version > Message::max_version) return std::nullopt;
  try {
    protocol::reader r(bytes.subspan(2));
    Message msg;
    msg.decode(r, version);
    if (!r.empty()) return std::nullopt;
    return msg;
  } catch (const protocol::decode_error&) {
    return std::nullopt;
  }
}

}  // namespace

base::byte_buffer encode_key(const offset_key& key) {
  protocol::offset_commit_key k;
  k.group = key.group;
  k.topic = key.topic;
  k.partition = key.partition;
  return encode_versioned(k, offset_key_version);
}

base::byte_buffer encode_key(const group_key& key) {
  protocol::group_metadata_key k;
  k.group = key.group;
  return encode_versioned(k, group_key_version);
}

base::byte_buffer encode_value(const offset_value& value) {
  protocol::offset_commit_value v;
  v.offset = value.offset;
  v.leader_epoch = value.leader_epoch;  // ignorable: dropped by version 1
  v.metadata = value.metadata;
  v.commit_timestamp = value.commit_timestamp;
  v.expire_timestamp = value.expire_timestamp;  // ignorable: dropped by version 3
  return encode_versioned(v, value.expire_timestamp != -1 ? offset_value_version_with_expiry
                                                          : offset_value_version);
}

base::byte_buffer encode_value(const group_value& value) {
  protocol::group_metadata_value v;
  v.protocol_type = value.protocol_type;
  v.generation = value.generation;
  v.protocol = value.protocol;
  v.leader = value.leader;
  v.current_state_timestamp = value.current_state_timestamp;
  v.members.reserve(value.members.size());
  for (const auto& m : value.members) {
    auto& out = v.members.emplace_back();
    out.member_id = m.member_id;
    out.group_instance_id = m.group_instance_id;
    out.client_id = m.client_id;
    out.client_host = m.client_host;
    out.rebalance_timeout = m.rebalance_timeout_ms;
    out.session_timeout = m.session_timeout_ms;
    out.subscription = m.subscription;
    out.assignment = m.assignment;
  }
  return encode_versioned(v, group_value_version);
}

std::optional<record_key> decode_key(base::byte_span bytes) {
  const auto version = read_version(bytes);
  if (!version) return std::nullopt;
  if (*version == 0 || *version == 1) {
    auto k = decode_versioned<protocol::offset_commit_key>(bytes, *version);
    if (!k) return std::nullopt;
    return offset_key{std::move(k->group), std::move(k->topic), k->partition};
  }
  if (*version == group_key_version) {
    auto k = decode_versioned<protocol::group_metadata_key>(bytes, *version);
    if (!k) return std::nullopt;
    return group_key{std::move(k->group)};
  }
  return std::nullopt;
}

std::optional<offset_value> decode_offset_value(base::byte_span bytes) {
  const auto version = read_version(bytes);
  if (!version) return std::nullopt;
  auto v = decode_versioned<protocol::offset_commit_value>(bytes, *version);
  if (!v) return std::nullopt;
  return offset_value{v->offset, v->leader_epoch, std::move(v->metadata), v->commit_timestamp,
                      v->expire_timestamp};
}

std::optional<group_value> decode_group_value(base::byte_span bytes) {
  const auto version = read_version(bytes);
  if (!version) return std::nullopt;
  auto v = decode_versioned<protocol::group_metadata_value>(bytes, *version);
  if (!v) return std::nullopt;
  group_value out;
  out.protocol_type = std::move(v->protocol_type);
  out.generation = v->generation;
  out.protocol = std::move(v->protocol);
  out.leader = std::move(v->leader);
  out.current_state_timestamp = v->current_state_timestamp;
  out.members.reserve(v->members.size());
  for (auto& m : v->members) {
    out.members.push_back(member_value{std::move(m.member_id), std::move(m.group_instance_id),
                                       std::move(m.client_id), std::move(m.client_host),
                                       m.rebalance_timeout, m.session_timeout,
                                       std::move(m.subscription), std::move(m.assignment)});
  }
  return out;
}

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

std::int32_t partition_for_group(std::string_view group_id, std::int32_t partition_count) {
  // Invariant: the offsets topic has at least one partition.
  SPATE_ASSERT(partition_count > 0, "partition_for_group needs a positive partition count");
  const std::int32_t hash = java_string_hash(group_id);
  // Kafka's Utils.abs: 0 for Integer.MIN_VALUE (whose Math.abs is itself), else the magnitude.
  const std::int32_t magnitude = hash == INT32_MIN ? 0 : (hash < 0 ? -hash : hash);
  return magnitude % partition_count;
}

}  // namespace spate::group
