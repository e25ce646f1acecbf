#include "group/offsets_records.h"

#include "base/assert.h"
#include "protocol/coordinator_placement.h"
#include "protocol/messages/group_metadata_key.h"
#include "protocol/messages/group_metadata_value.h"
#include "protocol/messages/offset_commit_key.h"
#include "protocol/messages/offset_commit_value.h"
#include "protocol/versioned_record.h"

namespace spate::group {
namespace {

constexpr std::int16_t offset_value_version = 3;
constexpr std::int16_t offset_value_version_with_expiry = 1;
constexpr std::int16_t group_value_version = 3;

}  // namespace

base::byte_buffer encode_key(const offset_key& key) {
  protocol::offset_commit_key k;
  k.group = key.group;
  k.topic = key.topic;
  k.partition = key.partition;
  return protocol::encode_versioned(k, offset_key_version);
}

base::byte_buffer encode_key(const group_key& key) {
  protocol::group_metadata_key k;
  k.group = key.group;
  return protocol::encode_versioned(k, group_key_version);
}

base::byte_buffer encode_value(const offset_value& value) {
  protocol::offset_commit_value v;
  v.offset = value.offset;
  v.leader_epoch = value.leader_epoch;  // ignorable: dropped by version 1
  v.metadata = value.metadata;
  v.commit_timestamp = value.commit_timestamp;
  v.expire_timestamp = value.expire_timestamp;  // ignorable: dropped by version 3
  return protocol::encode_versioned(
      v, value.expire_timestamp != -1 ? offset_value_version_with_expiry : offset_value_version);
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
  return protocol::encode_versioned(v, group_value_version);
}

std::optional<record_key> decode_key(base::byte_span bytes) {
  const auto version = protocol::read_version(bytes);
  if (!version) return std::nullopt;
  if (*version == 0 || *version == 1) {
    auto k = protocol::decode_versioned<protocol::offset_commit_key>(bytes, *version);
    if (!k) return std::nullopt;
    return offset_key{std::move(k->group), std::move(k->topic), k->partition};
  }
  if (*version == group_key_version) {
    auto k = protocol::decode_versioned<protocol::group_metadata_key>(bytes, *version);
    if (!k) return std::nullopt;
    return group_key{std::move(k->group)};
  }
  return std::nullopt;
}

std::optional<offset_value> decode_offset_value(base::byte_span bytes) {
  const auto version = protocol::read_version(bytes);
  if (!version) return std::nullopt;
  auto v = protocol::decode_versioned<protocol::offset_commit_value>(bytes, *version);
  if (!v) return std::nullopt;
  return offset_value{v->offset, v->leader_epoch, std::move(v->metadata), v->commit_timestamp,
                      v->expire_timestamp};
}

std::optional<group_value> decode_group_value(base::byte_span bytes) {
  const auto version = protocol::read_version(bytes);
  if (!version) return std::nullopt;
  auto v = protocol::decode_versioned<protocol::group_metadata_value>(bytes, *version);
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

std::int32_t partition_for_group(std::string_view group_id, std::int32_t partition_count) {
  return protocol::coordinator_partition(group_id, partition_count);
}

}  // namespace spate::group
