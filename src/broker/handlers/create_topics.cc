#include "broker/handlers/create_topics.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/log.h"
#include "broker/admin_support.h"
#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/throttle.h"
#include "broker/topic_config_catalogue.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using topic_result = protocol::create_topics_response::creatable_topic_result;
using wanted_topic = protocol::create_topics_request::creatable_topic;

// A guard against one request creating an absurd number of partition directories (Kafka has no
// such limit; the broker's own num.partitions setting has the same bound).
constexpr std::int32_t max_partitions = 100000;

struct plan {
  std::int32_t partitions = 0;
  std::int16_t replication_factor = 1;
  storage::config_overrides configs;
};

struct rejection {
  error_code code;
  std::string message;
};

// Kafka's controller checks, in its order. On success fills `out`.
std::optional<rejection> validate(const broker& services, const wanted_topic& topic, plan& out) {
  const auto node = services.options().node_id;
  if (auto problem = topic_name_problem(topic.name)) return rejection{error_code::invalid_topic_exception, *problem};
  if (services.logs().find_topic(topic.name)) {
    return rejection{error_code::topic_already_exists, fmt::format("Topic '{}' already exists.", topic.name)};
  }
  if (auto message = topic_collision(services, topic.name))
    return rejection{error_code::invalid_topic_exception, *message};
  if (!topic.assignments.empty()) {
    if (topic.num_partitions != -1) {
      return rejection{error_code::invalid_request,
                       "A manual partition assignment was specified, but numPartitions was not set to -1."};
    }
    if (topic.replication_factor != -1) {
      return rejection{error_code::invalid_request,
                       "A manual partition assignment was specified, but replicationFactor was not set to -1."};
    }
    std::map<std::int32_t, const std::vector<std::int32_t>*> by_partition;
    for (const auto& a : topic.assignments) by_partition[a.partition_index] = &a.broker_ids;
    std::int32_t expected = 0;
    for (const auto& [index, replicas] : by_partition) {
      if (index != expected++ || by_partition.size() != topic.assignments.size()) {
        return rejection{error_code::invalid_replica_assignment,
                         "Partitions should be a consecutive 0-based integer sequence."};
      }
      if (replicas->empty()) {
        return rejection{error_code::invalid_replica_assignment,
                         "The manual partition assignment includes an empty replica list."};
      }
      for (std::size_t i = 0; i < replicas->size(); ++i) {
        const auto id = (*replicas)[i];
        if (id != node) {
          return rejection{error_code::invalid_replica_assignment,
                           fmt::format("The manual partition assignment includes broker {}, but no such broker is "
                                       "registered.",
                                       id)};
        }
        if (i > 0) {
          return rejection{error_code::invalid_replica_assignment,
                           fmt::format("The manual partition assignment includes the broker {} more than once.", id)};
        }
      }
    }
    out.partitions = static_cast<std::int32_t>(by_partition.size());
    out.replication_factor = 1;
  } else {
    out.partitions = topic.num_partitions == -1 ? services.options().num_partitions : topic.num_partitions;
    if (out.partitions <= 0) {
      return rejection{error_code::invalid_partitions, "Number of partitions was set to an invalid non-positive value."};
    }
    const std::int16_t rf = topic.replication_factor == -1 ? 1 : topic.replication_factor;
    if (rf <= 0) {
      return rejection{error_code::invalid_replication_factor,
                       "Replication factor must be larger than 0, or -1 to use the default value."};
    }
    if (rf > 1) {
      return rejection{error_code::invalid_replication_factor,
                       fmt::format("Unable to replicate the partition {0} time(s): The target replication factor of {0} "
                                   "cannot be reached because only 1 broker(s) are registered.",
                                   rf)};
    }
    out.replication_factor = rf;
  }
  if (out.partitions > max_partitions) {
    return rejection{error_code::invalid_partitions,
                     fmt::format("Number of partitions {} is above this broker's limit of {}.", out.partitions,
                                 max_partitions)};
  }
  for (const auto& c : topic.configs) {
    if (!c.value) {
      return rejection{error_code::invalid_request, fmt::format("Null value not supported for topic configs: {}", c.name)};
    }
    out.configs[c.name] = *c.value;
  }
  if (auto problem = check_topic_configs(out.configs, services.logs().defaults())) {
    return rejection{error_code::invalid_config, *problem};
  }
  return std::nullopt;
}

// `show_configs`: whether the principal may DESCRIBE_CONFIGS the topic (Kafka answers
// TOPIC_AUTHORIZATION_FAILED in topic_config_error_code and no configs otherwise).
void describe_created(const broker& services, const plan& p, bool show_configs, topic_result& result) {
  result.num_partitions = p.partitions;
  result.replication_factor = p.replication_factor;
  if (!show_configs) {
    result.topic_config_error_code = wire_code(error_code::topic_authorization_failed);
    return;
  }
  result.configs.emplace();
  for (auto& c : describe_topic_configs(p.configs, services.logs().defaults())) {
    protocol::create_topics_response::creatable_topic_configs entry;
    entry.name = std::move(c.name);
    entry.value = std::move(c.value);
    entry.read_only = c.read_only;
    entry.config_source = static_cast<std::int8_t>(c.source);
    entry.is_sensitive = c.sensitive;
    result.configs->push_back(std::move(entry));
  }
}

bool may_describe_configs(const request_context& ctx, const std::string& topic) {
  return authorized(ctx, security::acl_operation::describe_configs, security::resource_type::topic, topic,
                    on_denial::quiet);
}

}  // namespace

boost::asio::awaitable<create_topics_handler::response> create_topics_handler::handle(request_context& ctx,
                                                                                      request req) {
  auto& services = ctx.services;
  response resp;
  std::map<std::string, int> seen;
  for (const auto& topic : req.topics) ++seen[topic.name];
  mutation_quota mutations(ctx, 6);
  // Kafka: CREATE on the cluster allows every topic, otherwise CREATE on each topic.
  const bool may_create_any = authorized(ctx, security::acl_operation::create, security::resource_type::cluster,
                                         security::cluster_resource_name, on_denial::quiet);

  for (const auto& topic : req.topics) {
    topic_result result;
    result.name = topic.name;
    result.error_message = std::nullopt;
    auto reject = [&](error_code code, std::string message) {
      result.error_code = wire_code(code);
      result.error_message = std::move(message);
      SPATE_LOG_INFO("event=create_topic_refused topic={} error={} client={}", topic.name, result.error_code,
                     ctx.header.client_id.value_or(""));
    };
    plan p;
    if (seen[topic.name] > 1) {
      reject(error_code::invalid_request, "Duplicate topic name.");
    } else if (!may_create_any &&
               !authorized(ctx, security::acl_operation::create, security::resource_type::topic, topic.name)) {
      reject(error_code::topic_authorization_failed, "Authorization failed.");
    } else if (auto problem = validate(services, topic, p)) {
      reject(problem->code, std::move(problem->message));
    } else if (req.validate_only) {
      describe_created(services, p, may_describe_configs(ctx, topic.name), result);
    } else if (mutations.refuse()) {
      reject(error_code::throttling_quota_exceeded, "The throttling quota has been exceeded.");
    } else {
      const auto name = topic.name;
      const auto partitions = p.partitions;
      const auto configs = p.configs;
      // Named, not a temporary: GCC 12 destroys lambda temporaries of a co_await expression twice.
      auto create = [&services, name, partitions, configs] {
        return services.logs().create_topic(name, partitions, configs);
      };
      auto created = co_await run_blocking(services.pool(), std::move(create));
      if (created) {
        SPATE_LOG_INFO("event=topic_created_by_client topic={} partitions={} configs={} client={}", name, partitions,
                       configs.size(), ctx.header.client_id.value_or(""));
        result.topic_id = created->id;
        describe_created(services, p, may_describe_configs(ctx, topic.name), result);
        mutations.record(partitions);
      } else if (created.error() == storage::errc::topic_exists) {
        reject(error_code::topic_already_exists, fmt::format("Topic '{}' already exists.", name));
      } else if (created.error() == storage::errc::too_many_open_files) {
        reject(to_wire(created.error()), fmt::format("Cannot create topic '{}': {}", name,
                                                     storage::log_manager::too_many_open_files_message(partitions)));
      } else {
        reject(to_wire(created.error()),
               fmt::format("Cannot create topic '{}': {}", name, storage::to_string(created.error())));
      }
    }
    resp.topics.push_back(std::move(result));
  }
  resp.throttle_time_ms = static_cast<std::int32_t>(mutations.throttle_ms());
  co_await apply_throttle(ctx, mutations.throttle_ms(), 0);
  co_return resp;
}

}  // namespace spate::broker
