#pragma once
// Authorized-operations bit fields (KIP-430) as reported by Metadata, DescribeCluster and
// DescribeGroups. Without an authorizer every operation a resource supports is allowed. Bit n
// stands for AclOperation n.
#include <cstdint>
#include <initializer_list>

namespace spate::broker {

enum class acl_operation : int {
  read = 3, write = 4, create = 5, remove = 6, alter = 7, describe = 8, cluster_action = 9,
  describe_configs = 10, alter_configs = 11, idempotent_write = 12, create_tokens = 13, describe_tokens = 14,
};

// Kafka's value for "not requested".
inline constexpr std::int32_t authorized_operations_omitted = INT32_MIN;

constexpr std::int32_t operation_bits(std::initializer_list<acl_operation> ops) {
  std::int32_t bits = 0;
  for (auto op : ops) bits |= std::int32_t{1} << static_cast<int>(op);
  return bits;
}

inline constexpr std::int32_t all_topic_operations =
    operation_bits({acl_operation::read, acl_operation::write, acl_operation::create, acl_operation::remove,
                    acl_operation::alter, acl_operation::describe, acl_operation::describe_configs,
                    acl_operation::alter_configs});

inline constexpr std::int32_t all_cluster_operations = operation_bits(
    {acl_operation::create, acl_operation::alter, acl_operation::describe, acl_operation::cluster_action,
     acl_operation::describe_configs, acl_operation::alter_configs, acl_operation::idempotent_write,
     acl_operation::create_tokens, acl_operation::describe_tokens});

// Kafka's AclEntry.supportedOperations(GROUP).
inline constexpr std::int32_t all_group_operations =
    operation_bits({acl_operation::read, acl_operation::describe, acl_operation::remove});

}  // namespace spate::broker
