#include "broker/handlers/offset_commit.h"

#include <vector>

#include "broker/async.h"
#include "broker/error_mapping.h"
#include "broker/group_support.h"

namespace spate::broker {
boost::asio::awaitable<offset_commit_handler::response> offset_commit_handler::handle(request_context& ctx,
                                                                                      request req) {
  auto& b = ctx.services;
  group::commit_request commit;
  commit.group_id = std::move(req.group_id);
  commit.generation_id = req.generation_id_or_member_epoch;  // v0: -1, a simple commit
  commit.member_id = std::move(req.member_id);                // v0: ""
  commit.group_instance_id = std::move(req.group_instance_id);  // v7+
  commit.retention_time_ms = req.retention_time_ms;              // v2-v4; -1 otherwise

  response resp;
  std::vector<response_slot> slots;
  resp.topics.reserve(req.topics.size());
  for (auto& topic : req.topics) {
    auto& topic_out = resp.topics.emplace_back();
    topic_out.name = topic.name;
    topic_out.partitions.reserve(topic.partitions.size());
    for (auto& p : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (!partition_exists(b, topic.name, p.partition_index)) {
        out.error_code = wire_code(protocol::error_code::unknown_topic_or_partition);
        continue;
      }
      group::committed_offset offset;
      offset.offset = p.committed_offset;
      offset.leader_epoch = p.committed_leader_epoch;  // v6+; -1 otherwise
      // A null metadata is stored as "" (Kafka's OffsetAndMetadata.NoMetadata).
      offset.metadata = p.committed_metadata.value_or("");
      // v1 may name the commit time; otherwise (-1) the coordinator stamps it with its clock.
      offset.commit_timestamp = p.commit_timestamp;
      commit.offsets.push_back({group::topic_partition{topic.name, p.partition_index}, std::move(offset)});
      slots.push_back({resp.topics.size() - 1, topic_out.partitions.size() - 1});
    }
  }
  if (slots.empty()) co_return resp;

  auto& groups = b.groups();
  const auto result = co_await await_completion<group::commit_result>(
      [&groups, &commit](auto complete) { groups.commit(std::move(commit), complete); });
  for (std::size_t i = 0; i < slots.size(); ++i) {
    auto error = result.error;
    if (error == protocol::error_code::none && i < result.partition_errors.size()) error = result.partition_errors[i];
    resp.topics[slots[i].topic].partitions[slots[i].partition].error_code = wire_code(error);
  }
  co_return resp;
}

}  // namespace spate::broker
