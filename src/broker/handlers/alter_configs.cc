#include "broker/handlers/alter_configs.h"

#include <fmt/format.h>

#include "base/log.h"
#include "broker/admin_support.h"
#include "broker/async.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/topic_config_catalogue.h"

namespace spate::broker {

using protocol::error_code;

boost::asio::awaitable<alter_configs_handler::response> alter_configs_handler::handle(request_context& ctx,
                                                                                      request req) {
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
    storage::config_overrides overrides;
    std::string null_values;
    for (const auto& c : resource.configs) {
      if (!c.value) {
        null_values += (null_values.empty() ? "" : ", ") + c.name;
      } else {
        overrides[c.name] = *c.value;
      }
    }
    if (!null_values.empty()) {
      reject(error_code::invalid_request, fmt::format("Null value not supported for : {}", null_values));
      continue;
    }
    if (auto problem = check_topic_configs(overrides, services.logs().defaults())) {
      reject(error_code::invalid_config, *problem);
      continue;
    }
    if (req.validate_only) continue;
    const auto name = resource.resource_name;
    // Named, not a temporary: GCC 12 destroys lambda temporaries of a co_await expression twice.
    auto alter = [&services, name, overrides] { return services.logs().alter_topic_config(name, overrides); };
    auto altered = co_await run_blocking(services.pool(), std::move(alter));
    if (altered) {
      SPATE_LOG_INFO("event=topic_config_replaced topic={} overrides={} client={}", name, overrides.size(),
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
