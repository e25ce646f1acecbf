#include "broker/handlers/offset_commit.h"

#include <vector>

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/error_mapping.h"
#include "broker/group_support.h"

namespace spate::broker {
boost::asio::awaitable<offset_commit_handler::response> offset_commit_handler::handle(request_context& ctx,
                                                                                      request req) {
  auto& services = ctx.services;
  // Kafka: READ on the group, then READ on each topic committed for.
  const auto refused = authorized(ctx, security::acl_operation::read, security::resource_type::group, req.group_id)
                           ? protocol::error_code::none
                           : protocol::error_code::group_authorization_failed;
  group::commit_request commit;
  commit.group_id = std::move(req.group_id);
  commit.generation_id = req.generation_id_or_member_epoch;  // v0: -1, a simple commit
  commit.member_id = std::move(req.member_id);                // v0: ""
  commit.group_instance_id = std::move(req.group_instance_id);  // v7+
  commit.retention_time_ms = req.retention_time_ms;              // v2-v4; -1 otherwise

  response resp;
  std::vector<response_slot> slots;
  commit.offsets = offsets_to_commit(
      ctx, req, resp, slots,
      [](const auto& p) {
        group::committed_offset offset;
        offset.offset = p.committed_offset;
        offset.leader_epoch = p.committed_leader_epoch;  // v6+; -1 otherwise
        // A null metadata is stored as "" (Kafka's OffsetAndMetadata.NoMetadata).
        offset.metadata = p.committed_metadata.value_or("");
        // v1 may name the commit time; otherwise (-1) the coordinator stamps it with its clock.
        offset.commit_timestamp = p.commit_timestamp;
        return offset;
      },
      refused);
  if (slots.empty()) co_return resp;

  auto& groups = services.groups();
  const auto result = co_await await_completion<group::commit_result>(
      [&groups, &commit](auto complete) { groups.commit(std::move(commit), complete); });
  answer_commit(resp, slots, result, [](protocol::error_code e) { return e; });
  co_return resp;
}

}  // namespace spate::broker
