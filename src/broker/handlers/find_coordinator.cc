#include "broker/handlers/find_coordinator.h"

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {
namespace {

constexpr std::int8_t group_key = 0;
constexpr std::int8_t transaction_key = 1;

struct answer {
  std::int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::int32_t node_id = -1;
  std::string host;
  std::int32_t port = -1;
};

answer coordinator_for(const request_context& ctx, std::int8_t key_type, const std::string& key) {
  // Kafka: DESCRIBE on the group or transactional id the client wants the coordinator of.
  if (key_type == group_key &&
      !authorized(ctx, security::acl_operation::describe, security::resource_type::group, key)) {
    return {wire_code(protocol::error_code::group_authorization_failed), "Group authorization failed."};
  }
  if (key_type == transaction_key &&
      !authorized(ctx, security::acl_operation::describe, security::resource_type::transactional_id, key)) {
    return {wire_code(protocol::error_code::transactional_id_authorization_failed),
            "Transactional Id authorization failed."};
  }
  // One broker coordinates every group and every transactional id, at the address of the
  // listener the client came in on.
  if (key_type == group_key || key_type == transaction_key) {
    const auto [host, port] = advertised_address(ctx.services.options(), ctx.listener);
    return {0, std::nullopt, ctx.services.options().node_id, std::string(host), port};
  }
  return {wire_code(protocol::error_code::invalid_request), "unknown coordinator key type"};
}

}  // namespace

boost::asio::awaitable<find_coordinator_handler::response> find_coordinator_handler::handle(request_context& ctx,
                                                                                            request req) {
  response resp;
  if (ctx.api_version < 4) {
    auto a = coordinator_for(ctx, ctx.api_version >= 1 ? req.key_type : group_key, req.key_value);
    resp.error_code = a.error_code;
    resp.error_message = ctx.api_version >= 1 ? a.error_message : std::nullopt;
    resp.node_id = a.node_id;
    resp.host = std::move(a.host);
    resp.port = a.port;
    co_return resp;
  }
  for (auto& key : req.coordinator_keys) {
    auto a = coordinator_for(ctx, req.key_type, key);
    response::coordinator c;
    c.key = std::move(key);
    c.error_code = a.error_code;
    c.error_message = std::move(a.error_message);
    c.node_id = a.node_id;
    c.host = std::move(a.host);
    c.port = a.port;
    resp.coordinators.push_back(std::move(c));
  }
  co_return resp;
}

}  // namespace spate::broker
