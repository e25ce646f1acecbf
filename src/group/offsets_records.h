#pragma once
// The records of Kafka's internal topic `__consumer_offsets`, as Kafka lays them out, and the
// placement of a group on the topic's partitions. The field layouts are the generated types of
// src/protocol/schemas/{offset_commit_key,offset_commit_value,group_metadata_key,
// group_metadata_value}.schema (Kafka's group-coordinator record definitions).
//
// A record key is an int16 version followed by the key struct at that version:
//   0, 1  OffsetCommitKey   group string, topic string, partition int32   (Kafka writes 1)
//   2     GroupMetadataKey  group string
//   3+    other record types (KIP-848 consumer groups, share groups): not ours, skipped
// A record value is an int16 version followed by the value struct at that version; a null value
// is a tombstone (the offset was deleted or expired; the group was deleted).
//
// Decoding never throws and never reads past its input: malformed bytes (truncated, bad lengths,
// nulls where not allowed, trailing bytes after the struct) and unknown versions give nullopt.
// Encoding throws protocol::encode_error only when a string is longer than
// `max_record_string_bytes` (the non-flexible versions Kafka writes have int16 lengths); callers
// bound group ids, topic names and metadata before they get here.
//
// Pure functions, thread-safe.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"

namespace spate::group {

// The longest string a record written in a non-flexible version can hold.
inline constexpr std::size_t max_record_string_bytes = 32767;

// Key versions.
inline constexpr std::int16_t offset_key_version = 1;  // what Kafka writes (0 reads the same)
inline constexpr std::int16_t group_key_version = 2;

struct offset_key {
  std::string group;
  std::string topic;
  std::int32_t partition = 0;
  friend bool operator==(const offset_key&, const offset_key&) = default;
};

struct group_key {
  std::string group;
  friend bool operator==(const group_key&, const group_key&) = default;
};

using record_key = std::variant<offset_key, group_key>;

// A committed offset. leader_epoch exists from value version 3, expire_timestamp only in version
// 1 (an explicit retention from OffsetCommit v1-v4); -1 means absent.
struct offset_value {
  std::int64_t offset = -1;
  std::int32_t leader_epoch = -1;
  std::string metadata;
  std::int64_t commit_timestamp = -1;
  std::int64_t expire_timestamp = -1;
  friend bool operator==(const offset_value&, const offset_value&) = default;
};

struct member_value {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // value version 3+
  std::string client_id;
  std::string client_host;
  std::int32_t rebalance_timeout_ms = 0;  // value version 1+
  std::int32_t session_timeout_ms = 0;
  base::byte_buffer subscription;  // the member's protocol metadata for the chosen protocol
  base::byte_buffer assignment;
  friend bool operator==(const member_value&, const member_value&) = default;
};

// A classic group's state as of its last completed rebalance (or its emptying).
struct group_value {
  std::string protocol_type;  // "consumer", "connect", ...; may be empty for an empty group
  std::int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  std::int64_t current_state_timestamp = -1;  // value version 2+
  std::vector<member_value> members;
  friend bool operator==(const group_value&, const group_value&) = default;
};

base::byte_buffer encode_key(const offset_key& key);  // key version 1
base::byte_buffer encode_key(const group_key& key);   // key version 2
// Value version 3; version 1 when expire_timestamp != -1 (then leader_epoch is not stored), as
// Kafka does.
base::byte_buffer encode_value(const offset_value& value);
base::byte_buffer encode_value(const group_value& value);  // value version 3

// Key versions 0 and 1 give an offset_key, 2 a group_key; any other version, or malformed bytes,
// nullopt.
std::optional<record_key> decode_key(base::byte_span bytes);
// Value versions 0-4; nullopt for other versions or malformed bytes.
std::optional<offset_value> decode_offset_value(base::byte_span bytes);
std::optional<group_value> decode_group_value(base::byte_span bytes);

// Kafka's placement of a group on __consumer_offsets (protocol/coordinator_placement.h).
// Precondition (asserted): partition_count > 0.
std::int32_t partition_for_group(std::string_view group_id, std::int32_t partition_count);

}  // namespace spate::group
