#include "broker/handlers/heartbeat.h"

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {

boost::asio::awaitable<heartbeat_handler::response> heartbeat_handler::handle(request_context& ctx, request req) {
  response resp;
  if (!authorized(ctx, security::acl_operation::read, security::resource_type::group, req.group_id)) {
    resp.error_code = wire_code(protocol::error_code::group_authorization_failed);
    co_return resp;
  }
  group::heartbeat_request beat;
  beat.group_id = std::move(req.group_id);
  beat.generation_id = req.generation_id;
  beat.member_id = std::move(req.member_id);
  beat.group_instance_id = std::move(req.group_instance_id);  // v3+
  resp.error_code = wire_code(ctx.services.groups().heartbeat(beat));
  co_return resp;
}

}  // namespace spate::broker
