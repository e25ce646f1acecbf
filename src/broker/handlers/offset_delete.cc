#include "broker/handlers/offset_delete.h"

#include <vector>

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/error_mapping.h"
#include "broker/group_support.h"

namespace spate::broker {
boost::asio::awaitable<offset_delete_handler::response> offset_delete_handler::handle(request_context& ctx,
                                                                                      request req) {
  auto& services = ctx.services;
  response resp;
  // Kafka: DELETE on the group, then READ on each topic.
  if (!authorized(ctx, security::acl_operation::remove, security::resource_type::group, req.group_id)) {
    resp.error_code = wire_code(protocol::error_code::group_authorization_failed);
    co_return resp;
  }
  std::vector<group::topic_partition> partitions;
  std::vector<response_slot> slots;
  resp.topics.reserve(req.topics.size());
  for (const auto& topic : req.topics) {
    auto& topic_out = resp.topics.emplace_back();
    topic_out.name = topic.name;
    topic_out.partitions.reserve(topic.partitions.size());
    const bool readable = authorized(ctx, security::acl_operation::read, security::resource_type::topic, topic.name);
    for (const auto& p : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (!readable) {
        out.error_code = wire_code(protocol::error_code::topic_authorization_failed);
        continue;
      }
      if (!partition_exists(services, topic.name, p.partition_index)) {
        out.error_code = wire_code(protocol::error_code::unknown_topic_or_partition);
        continue;
      }
      partitions.push_back({topic.name, p.partition_index});
      slots.push_back({resp.topics.size() - 1, topic_out.partitions.size() - 1});
    }
  }

  // Asked even with no partition left, so that an unknown group is reported.
  auto& groups = services.groups();
  const auto result = co_await await_completion<group::offset_delete_result>(
      [&groups, &req, &partitions](auto complete) {
        groups.delete_offsets(req.group_id, std::move(partitions), complete);
      });
  if (result.error != protocol::error_code::none) {
    // Kafka's OffsetDeleteRequest.getErrorResponse: the group's error alone.
    response failed;
    failed.error_code = wire_code(result.error);
    co_return failed;
  }
  for (std::size_t i = 0; i < slots.size() && i < result.partition_errors.size(); ++i) {
    resp.topics[slots[i].topic].partitions[slots[i].partition].error_code = wire_code(result.partition_errors[i]);
  }
  co_return resp;
}

}  // namespace spate::broker
