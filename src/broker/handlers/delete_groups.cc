#include "broker/handlers/delete_groups.h"

#include <string>
#include <vector>

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {

boost::asio::awaitable<delete_groups_handler::response> delete_groups_handler::handle(request_context& ctx,
                                                                                      request req) {
  // Only the groups the principal may delete reach the coordinator.
  std::vector<std::string> permitted;
  std::vector<bool> denied;
  denied.reserve(req.groups_names.size());
  for (const auto& name : req.groups_names) {
    denied.push_back(!authorized(ctx, security::acl_operation::remove, security::resource_type::group, name));
    if (!denied.back()) permitted.push_back(name);
  }
  std::vector<protocol::error_code> errors;
  if (!permitted.empty()) {
    auto& groups = ctx.services.groups();
    errors = co_await await_completion<std::vector<protocol::error_code>>(
        [&groups, &permitted](auto complete) { groups.delete_groups(permitted, complete); });
  }
  response resp;
  resp.results.reserve(req.groups_names.size());
  std::size_t next = 0;  // index into errors
  for (std::size_t i = 0; i < req.groups_names.size(); ++i) {
    auto& out = resp.results.emplace_back();
    out.group_id = std::move(req.groups_names[i]);
    if (denied[i]) {
      out.error_code = wire_code(protocol::error_code::group_authorization_failed);
      continue;
    }
    out.error_code = wire_code(next < errors.size() ? errors[next] : protocol::error_code::unknown_server_error);
    ++next;
  }
  co_return resp;
}

}  // namespace spate::broker
