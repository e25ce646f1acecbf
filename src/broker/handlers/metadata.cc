#include "broker/handlers/metadata.h"

#include "base/log.h"
#include "broker/admin_support.h"
#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/authorized_operations.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "model/topic_name.h"
#include "storage/file_names.h"

namespace spate::broker {
namespace {

using topic_entry = protocol::metadata_response::metadata_response_topic;
using protocol::error_code;

using security::acl_operation;
using security::resource_type;

topic_entry describe_topic(const request_context& ctx, const storage::topic_info& topic, bool include_operations) {
  const auto& services = ctx.services;
  topic_entry entry;
  entry.name = topic.name;
  entry.topic_id = topic.id;
  entry.is_internal = model::is_internal_topic(topic.name);
  entry.topic_authorized_operations =
      include_operations ? authorized_operations(ctx, resource_type::topic, topic.name) : authorized_operations_omitted;
  const auto node = services.options().node_id;
  entry.partitions.reserve(static_cast<std::size_t>(topic.partitions));
  for (std::int32_t p = 0; p < topic.partitions; ++p) {
    protocol::metadata_response::metadata_response_partition partition;
    partition.partition_index = p;
    partition.leader_id = node;
    partition.leader_epoch = 0;
    partition.replica_nodes = {node};
    partition.isr_nodes = {node};
    entry.partitions.push_back(std::move(partition));
  }
  return entry;
}

topic_entry topic_error(std::optional<std::string> name, const protocol::uuid& id, error_code error) {
  topic_entry entry;
  entry.error_code = wire_code(error);
  entry.name = std::move(name);
  entry.topic_id = id;
  return entry;
}

std::optional<storage::topic_info> find_by_id(const broker& services, const protocol::uuid& id) {
  for (auto& topic : services.logs().list_topics()) {
    if (topic.id == id) return topic;
  }
  return std::nullopt;
}

// Looks a requested topic up by id (v10+, when set) or by name, creating it when allowed.
boost::asio::awaitable<topic_entry> resolve_topic(request_context& ctx,
                                                  const metadata_handler::request::metadata_request_topic& wanted,
                                                  bool may_create, bool include_operations) {
  auto& services = ctx.services;
  // Names became nullable in v12; before that an unknown id is answered with an empty name.
  const std::optional<std::string> no_name = ctx.api_version >= 12 ? std::nullopt : std::optional<std::string>("");
  if (!wanted.topic_id.is_nil()) {
    const auto topic = find_by_id(services, wanted.topic_id);
    if (!topic) co_return topic_error(no_name, wanted.topic_id, error_code::unknown_topic_id);
    if (!authorized(ctx, acl_operation::describe, resource_type::topic, topic->name)) {
      co_return topic_error(no_name, wanted.topic_id, error_code::topic_authorization_failed);
    }
    co_return describe_topic(ctx, *topic, include_operations);
  }
  if (!wanted.name) co_return topic_error(no_name, {}, error_code::invalid_request);
  const auto& name = *wanted.name;
  // Kafka answers an undescribable topic the same whether it exists or not.
  if (!authorized(ctx, acl_operation::describe, resource_type::topic, name)) {
    co_return topic_error(name, {}, error_code::topic_authorization_failed);
  }
  if (auto topic = services.logs().find_topic(name)) co_return describe_topic(ctx, *topic, include_operations);
  if (!model::is_valid_topic_name(name)) co_return topic_error(name, {}, error_code::invalid_topic_exception);
  if (!may_create) co_return topic_error(name, {}, error_code::unknown_topic_or_partition);
  if (!authorized(ctx, acl_operation::create, resource_type::cluster, security::cluster_resource_name,
                  on_denial::quiet) &&
      !authorized(ctx, acl_operation::create, resource_type::topic, name)) {
    co_return topic_error(name, {}, error_code::topic_authorization_failed);
  }
  if (topic_collision(services, name)) co_return topic_error(name, {}, error_code::invalid_topic_exception);

  const auto partitions = services.options().num_partitions;
  // Named, not a temporary: GCC 12 destroys lambda temporaries of a co_await expression twice.
  auto create = [&services, name, partitions] { return services.logs().create_topic(name, partitions); };
  auto created = co_await run_blocking(services.pool(), std::move(create));
  if (created) {
    SPATE_LOG_INFO("event=topic_auto_created topic={} partitions={} client={}", name, partitions,
                   ctx.header.client_id.value_or(""));
    co_return describe_topic(ctx, created.value(), include_operations);
  }
  // Another request created it first.
  if (auto topic = services.logs().find_topic(name)) co_return describe_topic(ctx, *topic, include_operations);
  co_return topic_error(name, {}, to_wire(created.error()));
}

}  // namespace

boost::asio::awaitable<metadata_handler::response> metadata_handler::handle(request_context& ctx, request req) {
  auto& services = ctx.services;
  const auto& options = services.options();
  response resp;

  protocol::metadata_response::metadata_response_broker self;
  self.node_id = options.node_id;
  const auto [advertised_host, advertised_port] = advertised_address(options, ctx.listener);
  self.host = std::string(advertised_host);
  self.port = advertised_port;
  resp.brokers.push_back(std::move(self));
  resp.cluster_id = options.cluster_id;
  resp.controller_id = options.node_id;
  if (ctx.api_version >= 8 && ctx.api_version <= 10 && req.include_cluster_authorized_operations) {
    resp.cluster_authorized_operations =
        authorized_operations(ctx, resource_type::cluster, security::cluster_resource_name);
  }

  const bool include_operations = ctx.api_version >= 8 && req.include_topic_authorized_operations;
  // v0 asks for every topic with an empty list; v1+ with a null one.
  const bool all_topics = !req.topics || (ctx.api_version == 0 && req.topics->empty());
  if (all_topics) {
    // Topics the principal may not describe are left out, as if they did not exist.
    for (const auto& topic : services.logs().list_topics()) {
      if (!authorized(ctx, acl_operation::describe, resource_type::topic, topic.name, on_denial::quiet)) continue;
      resp.topics.push_back(describe_topic(ctx, topic, include_operations));
    }
  } else {
    const bool may_create = options.auto_create_topics && (ctx.api_version < 4 || req.allow_auto_topic_creation);
    for (const auto& wanted : *req.topics) {
      resp.topics.push_back(co_await resolve_topic(ctx, wanted, may_create, include_operations));
    }
  }
  co_return resp;
}

}  // namespace spate::broker
