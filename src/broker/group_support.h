#pragma once
// Small helpers shared by the consumer-group handlers (JoinGroup ... OffsetDelete), which
// translate Kafka's versioned requests to group::coordinator's plain structs and back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/broker.h"

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
inline bool partition_exists(const broker& b, const std::string& topic, std::int32_t partition) {
  const auto info = b.logs().find_topic(topic);
  return info && partition >= 0 && partition < info->partitions;
}

}  // namespace spate::broker
