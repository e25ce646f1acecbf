#include "broker/admin_support.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "broker/authorization.h"
#include "broker/broker.h"

#include "model/topic_name.h"
#include "storage/file_names.h"

namespace spate::broker {

std::optional<std::string> topic_name_problem(std::string_view name) {
  if (model::is_valid_topic_name(name)) return std::nullopt;
  if (name.empty()) return std::string("Topic name is illegal, it can't be empty");
  if (name == "." || name == "..") return std::string("Topic name cannot be \".\" or \"..\"");
  if (name.size() > 249) {
    return fmt::format("Topic name is illegal, it can't be longer than 249 characters, topic name: {}", name);
  }
  return fmt::format(
      "Topic name \"{}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name);
}

std::string unknown_topic_message(std::string_view name) {
  return fmt::format("The topic '{}' does not exist.", name);
}

std::optional<admin_error> alter_configs_resource_error(const broker& services, std::int8_t resource_type,
                                                        const std::string& resource_name, bool has_changes) {
  using protocol::error_code;
  const auto& name = resource_name;
  if (resource_type == resource_type_topic) {
    if (auto problem = topic_name_problem(name)) return admin_error{error_code::invalid_topic_exception, *problem};
    if (!services.logs().find_topic(name))
      return admin_error{error_code::unknown_topic_or_partition, unknown_topic_message(name)};
    return std::nullopt;
  }
  if (resource_type == resource_type_broker) {
    if (!name.empty()) {
      std::int32_t id = 0;
      const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
      if (ec != std::errc{} || ptr != name.data() + name.size()) {
        return admin_error{error_code::invalid_request, fmt::format("Broker id must be an integer, but it is: {}", name)};
      }
      if (id != services.options().node_id) {
        return admin_error{error_code::invalid_request,
                           fmt::format("Unexpected broker id, expected {} or empty string, but received {}",
                                       services.options().node_id, name)};
      }
    }
    if (!has_changes) return admin_error{error_code::none, ""};
    return admin_error{error_code::invalid_request,
                       "Broker configs cannot be changed dynamically on spate: set them in the broker's configuration "
                       "and restart it."};
  }
  return admin_error{error_code::invalid_request,
                     fmt::format("Unsupported resource type: {}", static_cast<int>(resource_type))};
}

std::optional<std::string> topic_collision(const broker& services, std::string_view name) {
  auto metric_name = [](std::string_view n) {
    std::string unified(n);
    std::replace(unified.begin(), unified.end(), '.', '_');
    return unified;
  };
  const auto unified = metric_name(name);
  for (const auto& existing : services.logs().list_topics()) {
    if (metric_name(existing.name) == unified) {
      return fmt::format("Topic '{}' collides with existing topic: {}", name, existing.name);
    }
  }
  return std::nullopt;
}

std::optional<admin_error> config_resource_denied(const request_context& ctx, security::acl_operation operation,
                                                  std::int8_t wire_type, const std::string& resource_name) {
  if (wire_type == resource_type_topic) {
    if (authorized(ctx, operation, security::resource_type::topic, resource_name)) return std::nullopt;
    return admin_error{protocol::error_code::topic_authorization_failed, "Topic authorization failed."};
  }
  if (wire_type == resource_type_broker || wire_type == resource_type_broker_logger) {
    if (authorized(ctx, operation, security::resource_type::cluster, security::cluster_resource_name))
      return std::nullopt;
    return admin_error{protocol::error_code::cluster_authorization_failed, "Cluster authorization failed."};
  }
  return std::nullopt;
}

}  // namespace spate::broker
