#pragma once
// Authorized-operations bit fields (KIP-430) as reported by Metadata, DescribeCluster and
// DescribeGroups: bit n set when the principal may do security::acl_operation n on the resource.
// Without an authorizer every operation a resource supports is allowed.
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "security/acl.h"

namespace spate::broker {

struct request_context;

// Kafka's value for "not requested".
inline constexpr std::int32_t authorized_operations_omitted = INT32_MIN;

constexpr std::int32_t operation_bits(std::initializer_list<security::acl_operation> ops) {
  std::int32_t bits = 0;
  for (auto op : ops) bits |= std::int32_t{1} << static_cast<int>(op);
  return bits;
}

// Kafka's AclEntry.supportedOperations per resource type.
inline constexpr std::int32_t all_topic_operations =
    operation_bits({security::acl_operation::read, security::acl_operation::write, security::acl_operation::create,
                    security::acl_operation::remove, security::acl_operation::alter, security::acl_operation::describe,
                    security::acl_operation::describe_configs, security::acl_operation::alter_configs});

inline constexpr std::int32_t all_cluster_operations =
    operation_bits({security::acl_operation::create, security::acl_operation::alter, security::acl_operation::describe,
                    security::acl_operation::cluster_action, security::acl_operation::describe_configs,
                    security::acl_operation::alter_configs, security::acl_operation::idempotent_write,
                    security::acl_operation::create_tokens, security::acl_operation::describe_tokens});

inline constexpr std::int32_t all_group_operations =
    operation_bits({security::acl_operation::read, security::acl_operation::describe, security::acl_operation::remove});

// The bits of the operations `type` supports (above) that ctx's principal may do on the resource
// `name` (TOPIC, GROUP or CLUSTER); 0 when it may not DESCRIBE the resource. Denials here are
// not logged: the answer only describes.
std::int32_t authorized_operations(const request_context& ctx, security::resource_type type, std::string_view name);

}  // namespace spate::broker
