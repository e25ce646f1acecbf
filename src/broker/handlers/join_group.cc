#include "broker/handlers/join_group.h"

#include "base/log.h"
#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/error_mapping.h"
#include "broker/group_support.h"

namespace spate::broker {
namespace {

group::join_request to_coordinator(const request_context& ctx, protocol::join_group_request& req) {
  group::join_request out;
  out.group_id = std::move(req.group_id);
  out.member_id = std::move(req.member_id);
  out.group_instance_id = std::move(req.group_instance_id);  // v5+; null before
  out.protocol_type = std::move(req.protocol_type);
  out.protocols.reserve(req.protocols.size());
  for (auto& p : req.protocols) out.protocols.push_back({std::move(p.name), std::move(p.metadata)});
  out.session_timeout_ms = req.session_timeout_ms;
  // v0 has no rebalance timeout: Kafka's JoinGroupRequest uses the session timeout instead.
  out.rebalance_timeout_ms = ctx.api_version == 0 ? req.session_timeout_ms : req.rebalance_timeout_ms;
  out.client_id = ctx.header.client_id.value_or("");
  out.client_host = group_client_host(ctx.peer);
  // Kafka's KafkaApis: only dynamic members of v4+ clients are sent back for a member id first.
  out.require_known_member_id = ctx.api_version >= 4 && !out.group_instance_id;
  out.supports_skip_assignment = ctx.api_version >= 9;
  return out;
}

}  // namespace

boost::asio::awaitable<join_group_handler::response> join_group_handler::handle(request_context& ctx, request req) {
  if (req.reason) {
    SPATE_LOG_DEBUG("event=join_group group={} member={} reason={}", req.group_id, req.member_id, *req.reason);
  }
  const std::string requested_member_id = req.member_id;
  group::join_result result;
  if (!authorized(ctx, security::acl_operation::read, security::resource_type::group, req.group_id)) {
    result.error = protocol::error_code::group_authorization_failed;
  } else {
    auto join = to_coordinator(ctx, req);
    auto& groups = ctx.services.groups();
    result = co_await await_completion<group::join_result>(
        [&groups, &join](auto complete) { groups.join(std::move(join), complete); });
  }

  response resp;
  resp.error_code = wire_code(result.error);
  if (result.error != protocol::error_code::none) {
    // Kafka's JoinGroupResult for an error: no generation, no leader, the member id asked with
    // (MEMBER_ID_REQUIRED carries the one to rejoin with).
    resp.generation_id = -1;
    resp.protocol_type = std::nullopt;
    resp.protocol_name = ctx.api_version >= 7 ? std::nullopt : std::optional<std::string>("");
    resp.leader = "";
    resp.member_id = result.error == protocol::error_code::member_id_required ? result.member_id : requested_member_id;
    co_return resp;
  }
  resp.generation_id = result.generation_id;
  if (ctx.api_version >= 7) {
    resp.protocol_type = std::move(result.protocol_type);
    resp.protocol_name = std::move(result.protocol_name);
  } else {
    // The field is not nullable before v7: Kafka's JoinGroupResponse sends "" instead.
    resp.protocol_name = result.protocol_name.value_or("");
  }
  resp.leader = std::move(result.leader);
  resp.skip_assignment = ctx.api_version >= 9 && result.skip_assignment;
  resp.member_id = std::move(result.member_id);
  resp.members.reserve(result.members.size());
  for (auto& m : result.members) {
    auto& out = resp.members.emplace_back();
    out.member_id = std::move(m.member_id);
    out.group_instance_id = std::move(m.group_instance_id);  // v5+ (ignorable before)
    out.metadata = std::move(m.metadata);
  }
  co_return resp;
}

}  // namespace spate::broker
