#include "broker/handlers/describe_groups.h"

#include "broker/authorization.h"
#include "broker/authorized_operations.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {

boost::asio::awaitable<describe_groups_handler::response> describe_groups_handler::handle(request_context& ctx,
                                                                                          request req) {
  const auto& groups = ctx.services.groups();
  const bool include_operations = ctx.api_version >= 3 && req.include_authorized_operations;
  response resp;
  resp.groups.reserve(req.groups.size());
  for (const auto& group_id : req.groups) {
    auto& out = resp.groups.emplace_back();
    if (!authorized(ctx, security::acl_operation::describe, security::resource_type::group, group_id)) {
      // Kafka's DescribeGroupsResponse.groupError: the id and the error, nothing about the group.
      out.group_id = group_id;
      out.error_code = wire_code(protocol::error_code::group_authorization_failed);
      out.group_state = "";
      out.protocol_type = "";
      out.protocol_data = "";
      out.authorized_operations = authorized_operations_omitted;
      continue;
    }
    auto d = groups.describe(group_id);
    out.error_code = wire_code(d.error);
    out.group_id = group_id;
    out.group_state = std::move(d.state);
    out.protocol_type = std::move(d.protocol_type);
    out.protocol_data = std::move(d.protocol_data);
    out.members.reserve(d.members.size());
    for (auto& m : d.members) {
      auto& member = out.members.emplace_back();
      member.member_id = std::move(m.member_id);
      member.group_instance_id = std::move(m.group_instance_id);  // v4+ (ignorable before)
      member.client_id = std::move(m.client_id);
      member.client_host = std::move(m.client_host);
      member.member_metadata = std::move(m.metadata);
      member.member_assignment = std::move(m.assignment);
    }
    // Kafka's KafkaApis sets them only for groups described without error.
    const bool described = d.error == protocol::error_code::none;
    out.authorized_operations = include_operations && described
                                    ? authorized_operations(ctx, security::resource_type::group, group_id)
                                    : authorized_operations_omitted;
  }
  co_return resp;
}

}  // namespace spate::broker
