#include "broker/handlers/alter_client_quotas.h"

#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "quota/client_quotas.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using entity_list = std::vector<protocol::alter_client_quotas_request::entity_data>;

// The entity an entry names, or Kafka's message for one it cannot be (an unknown or repeated
// type, or `ip`, whose connection-rate quotas spate does not have).
std::variant<quota::client_entity, std::string> entity_of(const entity_list& components) {
  quota::client_entity entity;
  for (const auto& c : components) {
    quota::entity_component* slot = nullptr;
    if (c.entity_type == "user") {
      slot = &entity.user;
    } else if (c.entity_type == "client-id") {
      slot = &entity.client_id;
    } else if (c.entity_type == "ip") {
      return std::string("ip quotas (connection_creation_rate) are not supported");
    } else {
      return fmt::format("Unhandled client quota entity type: {}", c.entity_type);
    }
    if (*slot) return fmt::format("Duplicate {} entity type in client quota entity", c.entity_type);
    *slot = c.entity_name;  // null: the default
  }
  return entity;
}

}  // namespace

boost::asio::awaitable<alter_client_quotas_handler::response> alter_client_quotas_handler::handle(request_context& ctx,
                                                                                                  request req) {
  auto& services = ctx.services;
  auto* quotas = services.options().client_quotas;
  response resp;
  std::vector<std::pair<quota::client_entity, std::vector<quota::quota_op>>> changes;
  std::vector<std::size_t> change_entries;  // resp.entries index of each change
  // Kafka: ALTER_CONFIGS on the cluster, else every entry fails.
  const bool permitted = authorized(ctx, security::acl_operation::alter_configs, security::resource_type::cluster,
                                    security::cluster_resource_name);
  for (const auto& entry : req.entries) {
    auto& out = resp.entries.emplace_back();
    for (const auto& c : entry.entity) {
      auto& e = out.entity.emplace_back();
      e.entity_type = c.entity_type;
      e.entity_name = c.entity_name;
    }
    const auto fail = [&out](std::string message) {
      out.error_code = wire_code(error_code::invalid_request);
      out.error_message = std::move(message);
    };
    if (!permitted) {
      out.error_code = wire_code(error_code::cluster_authorization_failed);
      out.error_message = "Cluster authorization failed.";
      continue;
    }
    if (quotas == nullptr) {
      fail("client quotas are not enabled on this broker");
      continue;
    }
    auto entity = entity_of(entry.entity);
    if (auto* message = std::get_if<std::string>(&entity)) {
      fail(std::move(*message));
      continue;
    }
    std::vector<quota::quota_op> ops;
    for (const auto& op : entry.ops) ops.push_back({op.key, op.value, op.remove});
    const auto& valid = std::get<quota::client_entity>(entity);
    if (auto problem = quota::client_quotas::check(valid, ops)) {
      fail(std::move(*problem));
      continue;
    }
    out.error_message = std::nullopt;
    changes.emplace_back(valid, std::move(ops));
    change_entries.push_back(resp.entries.size() - 1);
  }
  if (req.validate_only || changes.empty()) co_return resp;

  const auto& persist = services.options().save_client_quotas;
  // On the blocking pool: persisting writes and syncs a file.
  auto alter = [&changes, quotas, &persist] {
    return quotas->alter(changes, [&persist](const std::string& json) { return !persist || persist(json); });
  };
  const bool saved = co_await run_blocking(services.pool(), std::move(alter));
  if (!saved) {
    for (const auto i : change_entries) {
      resp.entries[i].error_code = wire_code(error_code::kafka_storage_error);
      resp.entries[i].error_message = "the client quotas could not be written to the data directory";
    }
  }
  co_return resp;
}

}  // namespace spate::broker
