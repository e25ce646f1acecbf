#pragma once
// Small helpers shared by the consumer-group handlers (JoinGroup ... OffsetDelete), which
// translate Kafka's versioned requests to group::coordinator's plain structs and back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/request_context.h"

namespace spate::broker {

// Kafka's client_host for a member: "/" + the peer's address, without its port (Java's
// InetAddress.toString() of an address without a host name). `peer` is "ip:port" or "[ip6]:port".
inline std::string group_client_host(std::string_view peer) {
  std::string_view host = peer;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    host = close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return "/" + std::string(host);
}

// Where one partition's answer goes in a topic/partition response (OffsetCommit, OffsetDelete):
// the topic's and the partition's index, for answers that come back from the coordinator later.
struct response_slot {
  std::size_t topic;
  std::size_t partition;
};

// Whether the partition exists: OffsetCommit and OffsetDelete answer UNKNOWN_TOPIC_OR_PARTITION
// for others without asking the coordinator (Kafka's metadataCache.contains check).
inline bool partition_exists(const broker& services, const std::string& topic, std::int32_t partition) {
  const auto info = services.logs().find_topic(topic);
  return info && partition >= 0 && partition < info->partitions;
}

// OffsetCommit and TxnOffsetCommit: the response skeleton (one entry per requested partition,
// `refused` on every one when the request as a whole is not authorized, otherwise
// TOPIC_AUTHORIZATION_FAILED for topics the principal may not READ and
// UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist) and, for the others, the offset to
// commit, made by `to_offset(partition_request)`, with its slot in the response.
template <typename Request, typename Response, typename ToOffset>
std::vector<std::pair<group::topic_partition, group::committed_offset>> offsets_to_commit(
    const request_context& ctx, Request& req, Response& resp, std::vector<response_slot>& slots, ToOffset to_offset,
    protocol::error_code refused = protocol::error_code::none) {
  std::vector<std::pair<group::topic_partition, group::committed_offset>> offsets;
  resp.topics.reserve(req.topics.size());
  for (auto& topic : req.topics) {
    auto& topic_out = resp.topics.emplace_back();
    topic_out.name = topic.name;
    topic_out.partitions.reserve(topic.partitions.size());
    const auto denied = refused != protocol::error_code::none ? refused
                        : authorized(ctx, security::acl_operation::read, security::resource_type::topic, topic.name)
                            ? protocol::error_code::none
                            : protocol::error_code::topic_authorization_failed;
    for (auto& p : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (denied != protocol::error_code::none) {
        out.error_code = wire_code(denied);
        continue;
      }
      if (!partition_exists(ctx.services, topic.name, p.partition_index)) {
        out.error_code = wire_code(protocol::error_code::unknown_topic_or_partition);
        continue;
      }
      offsets.push_back({group::topic_partition{topic.name, p.partition_index}, to_offset(p)});
      slots.push_back({resp.topics.size() - 1, topic_out.partitions.size() - 1});
    }
  }
  return offsets;
}

// Puts the coordinator's commit_result into the slots offsets_to_commit() returned, each error
// passed through `for_version` (the API's version mapping).
template <typename Response, typename ForVersion>
void answer_commit(Response& resp, const std::vector<response_slot>& slots, const group::commit_result& result,
                   ForVersion for_version) {
  for (std::size_t i = 0; i < slots.size(); ++i) {
    auto error = result.error;
    if (error == protocol::error_code::none && i < result.partition_errors.size()) error = result.partition_errors[i];
    resp.topics[slots[i].topic].partitions[slots[i].partition].error_code = wire_code(for_version(error));
  }
}

}  // namespace spate::broker
