#include "broker/handlers/leave_group.h"

#include <vector>

#include "base/log.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {

boost::asio::awaitable<leave_group_handler::response> leave_group_handler::handle(request_context& ctx, request req) {
  if (!authorized(ctx, security::acl_operation::read, security::resource_type::group, req.group_id)) {
    response denied;
    denied.error_code = wire_code(protocol::error_code::group_authorization_failed);
    co_return denied;
  }
  std::vector<group::leaving_member> leaving;
  if (ctx.api_version < 3) {
    leaving.push_back({std::move(req.member_id), std::nullopt});
  } else {
    leaving.reserve(req.members.size());
    for (auto& m : req.members) {
      if (m.reason) {
        SPATE_LOG_DEBUG("event=leave_group group={} member={} reason={}", req.group_id, m.member_id, *m.reason);
      }
      leaving.push_back({std::move(m.member_id), std::move(m.group_instance_id)});
    }
  }
  const auto result = ctx.services.groups().leave(req.group_id, leaving);

  response resp;
  if (ctx.api_version < 3) {
    // One member, one error: Kafka's LeaveGroupResponse folds the member's into the top level.
    auto error = result.error;
    if (error == protocol::error_code::none && !result.member_errors.empty()) error = result.member_errors.front();
    resp.error_code = wire_code(error);
    co_return resp;
  }
  resp.error_code = wire_code(result.error);
  // A group-level failure (bad group id, coordinator unavailable) answers no members.
  if (result.member_errors.size() == leaving.size()) {
    resp.members.reserve(leaving.size());
    for (std::size_t i = 0; i < leaving.size(); ++i) {
      auto& out = resp.members.emplace_back();
      out.member_id = std::move(leaving[i].member_id);
      out.group_instance_id = std::move(leaving[i].group_instance_id);
      out.error_code = wire_code(result.member_errors[i]);
    }
  }
  co_return resp;
}

}  // namespace spate::broker
