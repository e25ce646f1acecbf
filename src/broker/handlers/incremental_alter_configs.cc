#include "broker/handlers/incremental_alter_configs.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "broker/admin_support.h"
#include "broker/async.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/topic_config_catalogue.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using alterable_config = protocol::incremental_alter_configs_request::alterable_config;

// Kafka's AlterConfigOp.OpType.
enum class op : std::int8_t { set = 0, remove = 1, append = 2, subtract = 3 };

// Owned copies: APPEND/SUBTRACT edit the list after its source string is gone.
std::vector<std::string> split(std::string_view list) {
  const auto items = storage::split_config_list(list);
  return {items.begin(), items.end()};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// Applies the operations to `overrides`; the error to answer when one is refused.
std::optional<admin_error> apply(const std::vector<alterable_config>& changes, const storage::log_config& defaults,
                                 storage::config_overrides& overrides) {
  std::set<std::string> names;
  for (const auto& c : changes) {
    if (!names.insert(c.name).second) return admin_error{error_code::invalid_request, "Error due to duplicate config keys"};
  }
  for (const auto& c : changes) {
    const auto* row = storage::find_topic_config(c.name);
    if (!row) return admin_error{error_code::invalid_config, fmt::format("Unknown topic config name: {}", c.name)};
    switch (static_cast<op>(c.config_operation)) {
      case op::set:
        if (c.value) {
          overrides[c.name] = *c.value;
        } else {
          overrides.erase(c.name);
        }
        break;
      case op::remove:
        overrides.erase(c.name);
        break;
      case op::append:
      case op::subtract: {
        const bool append = static_cast<op>(c.config_operation) == op::append;
        if (row->type != storage::config_type::list) {
          return admin_error{error_code::invalid_config,
                             fmt::format("Config value {} is not allowed for config key: {}",
                                         append ? "append" : "subtract", c.name)};
        }
        if (!c.value) {
          return admin_error{error_code::invalid_request, fmt::format("Null value not supported for : {}", c.name)};
        }
        const auto it = overrides.find(c.name);
        auto items = split(it != overrides.end() ? it->second : storage::default_value(*row, defaults));
        for (const auto& item : split(*c.value)) {
          const auto found = std::find(items.begin(), items.end(), item);
          if (append && found == items.end()) items.push_back(item);
          if (!append) std::erase(items, item);
        }
        overrides[c.name] = join(items);
        break;
      }
      default:
        return admin_error{error_code::invalid_request,
                           fmt::format("Unknown config operation {} for config key: {}",
                                       static_cast<int>(c.config_operation), c.name)};
    }
  }
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<incremental_alter_configs_handler::response> incremental_alter_configs_handler::handle(
    request_context& ctx, request req) {
  auto& services = ctx.services;
  response resp;
  for (const auto& resource : req.resources) {
    auto& result = resp.responses.emplace_back();
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    result.error_message = std::nullopt;
    auto reject = [&](error_code code, std::string message) {
      result.error_code = wire_code(code);
      if (code != error_code::none) result.error_message = std::move(message);
    };
    if (auto denied = config_resource_denied(ctx, security::acl_operation::alter_configs, resource.resource_type,
                                             resource.resource_name)) {
      reject(denied->code, std::move(denied->message));
      continue;
    }
    if (auto error = alter_configs_resource_error(services, resource.resource_type, resource.resource_name,
                                                  !resource.configs.empty())) {
      reject(error->code, std::move(error->message));
      continue;
    }
    const auto name = resource.resource_name;
    auto topic = services.logs().find_topic(name);
    if (!topic) {
      reject(error_code::unknown_topic_or_partition, unknown_topic_message(name));
      continue;
    }
    // Read-modify-write of the overrides: two concurrent alters of one topic may race (the last
    // write wins), as with Kafka's legacy ZooKeeper path; admin changes are rare.
    auto overrides = topic->configs;
    if (auto error = apply(resource.configs, services.logs().defaults(), overrides)) {
      reject(error->code, std::move(error->message));
      continue;
    }
    if (auto problem = check_topic_configs(overrides, services.logs().defaults())) {
      reject(error_code::invalid_config, *problem);
      continue;
    }
    if (req.validate_only) continue;
    // Named, not a temporary: GCC 12 destroys lambda temporaries of a co_await expression twice.
    auto alter = [&services, name, overrides] { return services.logs().alter_topic_config(name, overrides); };
    auto altered = co_await run_blocking(services.pool(), std::move(alter));
    if (altered) {
      SPATE_LOG_INFO("event=topic_config_altered topic={} changes={} client={}", name, resource.configs.size(),
                     ctx.header.client_id.value_or(""));
    } else {
      reject(to_wire(altered.error()),
             altered.error() == storage::errc::unknown_topic_or_partition
                 ? unknown_topic_message(name)
                 : fmt::format("Cannot alter configs of '{}': {}", name, storage::to_string(altered.error())));
    }
  }
  co_return resp;
}

}  // namespace spate::broker
