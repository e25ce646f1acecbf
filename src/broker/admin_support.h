#pragma once
// Small helpers shared by the topic and configuration administration handlers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/error_code.h"
#include "security/acl.h"

namespace spate::broker {

// Kafka's ConfigResource.Type values used on the wire.
inline constexpr std::int8_t resource_type_topic = 2;
inline constexpr std::int8_t resource_type_broker = 4;
inline constexpr std::int8_t resource_type_broker_logger = 8;

// Why `name` is not a valid topic name (Kafka's wording), or nullopt when it is valid.
std::optional<std::string> topic_name_problem(std::string_view name);

class broker;
struct request_context;

// Kafka's rule: '.' and '_' collide in metric names, so "a.b" and "a_b" cannot both exist. The
// message naming the existing topic that `name` collides with, or nullopt.
std::optional<std::string> topic_collision(const broker& services, std::string_view name);

// Kafka's message for a topic that does not exist.
std::string unknown_topic_message(std::string_view name);

struct admin_error {
  protocol::error_code code;
  std::string message;
};

// For an (Incremental)AlterConfigs resource: nullopt when it names an existing topic, else the
// error to answer. BROKER resources of this broker with changes are INVALID_REQUEST (spate's
// broker settings are static: set in its configuration, read at start-up); other brokers' ids,
// other resource types and unknown or invalid topic names get Kafka's errors.
std::optional<admin_error> alter_configs_resource_error(const broker& services, std::int8_t resource_type,
                                                        const std::string& resource_name, bool has_changes);

// Whether ctx's principal may do `operation` (DESCRIBE_CONFIGS or ALTER_CONFIGS) on a
// (Incremental)AlterConfigs / DescribeConfigs resource: nullopt, or Kafka's answer
// (TOPIC_AUTHORIZATION_FAILED for a topic, CLUSTER_AUTHORIZATION_FAILED for a broker, whose
// configs are the cluster's). Other resource types are left to the handler's own checks.
std::optional<admin_error> config_resource_denied(const request_context& ctx, security::acl_operation operation,
                                                  std::int8_t wire_type, const std::string& resource_name);

}  // namespace spate::broker
