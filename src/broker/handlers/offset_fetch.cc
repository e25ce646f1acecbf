#include "broker/handlers/offset_fetch.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {
namespace {

using protocol::error_code;

// Kafka's OffsetFetchResponse.INVALID_OFFSET and NO_METADATA: the answer for a partition without
// a committed offset.
constexpr std::int64_t no_offset = -1;

struct wanted_topic {
  std::string name;
  std::vector<std::int32_t> partitions;
};

struct topic_offsets {
  std::string name;
  std::vector<group::fetched_offset> partitions;
};

struct group_offsets {
  error_code error = error_code::none;
  std::vector<topic_offsets> topics;
};

group::fetched_offset uncommitted(const std::string& topic, std::int32_t partition, error_code error) {
  group::fetched_offset f;
  f.partition = {topic, partition};
  f.offset = no_offset;
  f.metadata = "";
  f.error = error;
  return f;
}

// One group's offsets: for `wanted` partitions in request order (uncommitted ones included), or
// with `wanted` nullopt every committed offset, by topic.
group_offsets fetch_group(const group::coordinator& groups, const std::string& group_id,
                          const std::optional<std::vector<wanted_topic>>& wanted, bool require_stable) {
  std::optional<std::vector<group::topic_partition>> partitions;
  if (wanted) {
    partitions.emplace();
    for (const auto& t : *wanted) {
      for (auto p : t.partitions) partitions->push_back({t.name, p});
    }
  }
  auto result = groups.fetch_offsets(group_id, partitions, require_stable);
  group_offsets out;
  out.error = result.error;
  if (result.error != error_code::none) return out;

  if (!wanted) {
    std::map<std::string, std::vector<group::fetched_offset>> by_topic;
    for (auto& f : result.offsets) by_topic[f.partition.topic].push_back(std::move(f));
    for (auto& [name, offsets] : by_topic) out.topics.push_back({name, std::move(offsets)});
    return out;
  }
  std::map<group::topic_partition, group::fetched_offset*> found;
  for (auto& f : result.offsets) found.emplace(f.partition, &f);
  for (const auto& t : *wanted) {
    auto& topic = out.topics.emplace_back();
    topic.name = t.name;
    for (auto p : t.partitions) {
      const auto it = found.find(group::topic_partition{t.name, p});
      topic.partitions.push_back(it == found.end() ? uncommitted(t.name, p, error_code::none) : *it->second);
    }
  }
  return out;
}

// fetch_group() as the principal may see it (Kafka's handleOffsetFetchRequest): DESCRIBE on the
// group, or GROUP_AUTHORIZATION_FAILED; a topic it may not DESCRIBE answers
// TOPIC_AUTHORIZATION_FAILED when asked for, and is left out when every offset is.
group_offsets fetch_authorized(const request_context& ctx, const std::string& group_id,
                               const std::optional<std::vector<wanted_topic>>& wanted, bool require_stable) {
  using security::acl_operation;
  using security::resource_type;
  if (!authorized(ctx, acl_operation::describe, resource_type::group, group_id)) {
    return {error_code::group_authorization_failed, {}};
  }
  auto offsets = fetch_group(ctx.services.groups(), group_id, wanted, require_stable);
  std::erase_if(offsets.topics, [&](topic_offsets& topic) {
    const auto report = wanted ? on_denial::log : on_denial::quiet;
    if (authorized(ctx, acl_operation::describe, resource_type::topic, topic.name, report)) return false;
    if (!wanted) return true;
    for (auto& p : topic.partitions)
      p = uncommitted(topic.name, p.partition.partition, error_code::topic_authorization_failed);
    return false;
  });
  return offsets;
}

template <typename Partition>
Partition to_wire_partition(const group::fetched_offset& f) {
  Partition out;
  out.partition_index = f.partition.partition;
  out.committed_offset = f.offset;
  out.committed_leader_epoch = f.leader_epoch;  // v5+ (ignorable before)
  out.metadata = f.metadata.value_or("");
  out.error_code = wire_code(f.error);
  return out;
}

template <typename Topic, typename Partition>
std::vector<Topic> to_wire_topics(const std::vector<topic_offsets>& topics) {
  std::vector<Topic> out;
  out.reserve(topics.size());
  for (const auto& t : topics) {
    auto& topic = out.emplace_back();
    topic.name = t.name;
    topic.partitions.reserve(t.partitions.size());
    for (const auto& f : t.partitions) topic.partitions.push_back(to_wire_partition<Partition>(f));
  }
  return out;
}

template <typename RequestTopic>
std::optional<std::vector<wanted_topic>> wanted_topics(const std::optional<std::vector<RequestTopic>>& topics) {
  if (!topics) return std::nullopt;
  std::vector<wanted_topic> out;
  out.reserve(topics->size());
  for (const auto& t : *topics) out.push_back({t.name, t.partition_indexes});
  return out;
}

}  // namespace

boost::asio::awaitable<offset_fetch_handler::response> offset_fetch_handler::handle(request_context& ctx, request req) {
  const bool require_stable = req.require_stable;  // v7+; false before
  response resp;
  if (ctx.api_version >= 8) {
    resp.groups.reserve(req.groups.size());
    for (const auto& g : req.groups) {
      auto offsets = fetch_authorized(ctx, g.group_id, wanted_topics(g.topics), require_stable);
      auto& out = resp.groups.emplace_back();
      out.group_id = g.group_id;
      out.error_code = wire_code(offsets.error);
      out.topics = to_wire_topics<response::offset_fetch_response_topics, response::offset_fetch_response_partitions>(
          offsets.topics);
    }
    co_return resp;
  }

  // One group. v0-v1 cannot ask for every partition (topics is not nullable there).
  const auto wanted = wanted_topics(req.topics);
  auto offsets = fetch_authorized(ctx, req.group_id, wanted, require_stable);
  if (offsets.error != error_code::none && ctx.api_version < 2 && wanted) {
    // No top-level error before v2: Kafka's OffsetFetchRequest.getErrorResponse reports the
    // group's error on every partition asked for.
    for (const auto& t : *wanted) {
      auto& topic = offsets.topics.emplace_back();
      topic.name = t.name;
      for (auto p : t.partitions) topic.partitions.push_back(uncommitted(t.name, p, offsets.error));
    }
  }
  resp.error_code = wire_code(offsets.error);  // v2+ (ignorable before)
  resp.topics =
      to_wire_topics<response::offset_fetch_response_topic, response::offset_fetch_response_partition>(offsets.topics);
  co_return resp;
}

}  // namespace spate::broker
