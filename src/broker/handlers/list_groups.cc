#include "broker/handlers/list_groups.h"

#include <algorithm>
#include <string_view>

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {
namespace {

// Kafka's name for a group of the classic protocol (KIP-848's group types).
constexpr std::string_view classic_group_type = "classic";

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

}  // namespace

boost::asio::awaitable<list_groups_handler::response> list_groups_handler::handle(request_context& ctx, request req) {
  response resp;
  // v5+: every group here is classic, so a types filter without it lists none.
  const bool classic_wanted =
      req.types_filter.empty() || std::any_of(req.types_filter.begin(), req.types_filter.end(), [](const auto& t) {
        return equal_ignoring_case(t, classic_group_type);
      });
  if (!classic_wanted) co_return resp;
  // An empty states filter (and v0-v3, which have none) lists every group. The coordinator
  // matches state names ignoring case, as Kafka parses them.
  auto listed = ctx.services.groups().list(req.states_filter);
  // Kafka: DESCRIBE on the cluster lists every group, otherwise the groups the principal may describe.
  const bool all_groups = authorized(ctx, security::acl_operation::describe, security::resource_type::cluster,
                                     security::cluster_resource_name, on_denial::quiet);
  resp.groups.reserve(listed.size());
  for (auto& g : listed) {
    if (!all_groups && !authorized(ctx, security::acl_operation::describe, security::resource_type::group, g.group_id,
                                   on_denial::quiet)) {
      continue;
    }
    auto& out = resp.groups.emplace_back();
    out.group_id = std::move(g.group_id);
    out.protocol_type = std::move(g.protocol_type);
    out.group_state = std::move(g.state);                // v4+ (ignorable before)
    out.group_type = std::string(classic_group_type);    // v5+ (ignorable before)
  }
  co_return resp;
}

}  // namespace spate::broker
