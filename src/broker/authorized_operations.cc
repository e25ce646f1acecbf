#include "broker/authorized_operations.h"

#include "broker/authorization.h"

namespace spate::broker {
namespace {

std::int32_t supported_operations(security::resource_type type) {
  switch (type) {
    case security::resource_type::topic: return all_topic_operations;
    case security::resource_type::group: return all_group_operations;
    case security::resource_type::cluster: return all_cluster_operations;
    default: return 0;
  }
}

}  // namespace

std::int32_t authorized_operations(const request_context& ctx, security::resource_type type, std::string_view name) {
  // Kafka reports nothing (0) about a resource the principal may not describe.
  if (!authorized(ctx, security::acl_operation::describe, type, name, on_denial::quiet)) return 0;
  const auto supported = supported_operations(type);
  std::int32_t bits = 0;
  for (int op = 0; op < 31; ++op) {
    const auto bit = std::int32_t{1} << op;
    if ((supported & bit) == 0) continue;
    if (authorized(ctx, static_cast<security::acl_operation>(op), type, name, on_denial::quiet)) bits |= bit;
  }
  return bits;
}

}  // namespace spate::broker
