#include "broker/handlers/sync_group.h"

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {

boost::asio::awaitable<sync_group_handler::response> sync_group_handler::handle(request_context& ctx, request req) {
  response resp;
  // Kafka's SyncGroupRequest.areMandatoryProtocolTypeAndNamePresent: v5+ must name both.
  if (ctx.api_version >= 5 && (!req.protocol_type || !req.protocol_name)) {
    resp.error_code = wire_code(protocol::error_code::inconsistent_group_protocol);
    co_return resp;
  }
  if (!authorized(ctx, security::acl_operation::read, security::resource_type::group, req.group_id)) {
    resp.error_code = wire_code(protocol::error_code::group_authorization_failed);
    co_return resp;
  }
  group::sync_request sync;
  sync.group_id = std::move(req.group_id);
  sync.generation_id = req.generation_id;
  sync.member_id = std::move(req.member_id);
  sync.group_instance_id = std::move(req.group_instance_id);  // v3+
  sync.protocol_type = std::move(req.protocol_type);          // v5+
  sync.protocol_name = std::move(req.protocol_name);          // v5+
  sync.assignments.reserve(req.assignments.size());
  for (auto& a : req.assignments) sync.assignments.emplace_back(std::move(a.member_id), std::move(a.assignment));

  auto& groups = ctx.services.groups();
  auto result = co_await await_completion<group::sync_result>(
      [&groups, &sync](auto complete) { groups.sync(std::move(sync), complete); });
  resp.error_code = wire_code(result.error);
  if (ctx.api_version >= 5) {
    resp.protocol_type = std::move(result.protocol_type);
    resp.protocol_name = std::move(result.protocol_name);
  }
  if (result.error == protocol::error_code::none) resp.assignment = std::move(result.assignment);
  co_return resp;
}

}  // namespace spate::broker
