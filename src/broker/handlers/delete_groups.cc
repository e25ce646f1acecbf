#include "broker/handlers/delete_groups.h"

#include <string>
#include <vector>

#include "broker/async.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {

boost::asio::awaitable<delete_groups_handler::response> delete_groups_handler::handle(request_context& ctx,
                                                                                      request req) {
  auto& groups = ctx.services.groups();
  const auto errors = co_await await_completion<std::vector<protocol::error_code>>(
      [&groups, &req](auto complete) { groups.delete_groups(req.groups_names, complete); });
  response resp;
  resp.results.reserve(req.groups_names.size());
  for (std::size_t i = 0; i < req.groups_names.size(); ++i) {
    auto& out = resp.results.emplace_back();
    out.group_id = std::move(req.groups_names[i]);
    out.error_code = wire_code(i < errors.size() ? errors[i] : protocol::error_code::unknown_server_error);
  }
  co_return resp;
}

}  // namespace spate::broker
