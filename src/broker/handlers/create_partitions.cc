#include "broker/handlers/create_partitions.h"

#include <map>

#include <fmt/format.h>

#include "base/log.h"
#include "broker/admin_support.h"
#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/throttle.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using topic_result = protocol::create_partitions_response::create_partitions_topic_result;
using wanted_topic = protocol::create_partitions_request::create_partitions_topic;

// The same guard as CreateTopics: no request makes more than this many partitions in a topic.
constexpr std::int32_t max_partitions = 100000;

struct rejection {
  error_code code;
  std::string message;
};

// Kafka's controller checks (ReplicationControlManager.createPartitions), in its order.
std::optional<rejection> validate(const broker& services, const wanted_topic& topic) {
  const auto info = services.logs().find_topic(topic.name);
  if (!info) return rejection{error_code::unknown_topic_or_partition, unknown_topic_message(topic.name)};
  if (topic.count == info->partitions) {
    return rejection{error_code::invalid_partitions,
                     fmt::format("Topic already has {} partition(s).", info->partitions)};
  }
  if (topic.count < info->partitions) {
    return rejection{error_code::invalid_partitions,
                     fmt::format("The topic {} currently has {} partition(s); {} would not be an increase.",
                                 topic.name, info->partitions, topic.count)};
  }
  if (topic.count > max_partitions) {
    return rejection{error_code::invalid_partitions,
                     fmt::format("Number of partitions {} is above this broker's limit of {}.", topic.count,
                                 max_partitions)};
  }
  if (topic.assignments) {
    const auto added = topic.count - info->partitions;
    if (static_cast<std::int64_t>(topic.assignments->size()) != added) {
      return rejection{error_code::invalid_replica_assignment,
                       fmt::format("Attempted to add {} additional partition(s), but only {} assignment(s) were "
                                   "specified.",
                                   added, topic.assignments->size())};
    }
    for (const auto& a : *topic.assignments) {
      if (a.broker_ids.empty()) {
        return rejection{error_code::invalid_replica_assignment,
                         "The manual partition assignment includes an empty replica list."};
      }
      for (std::size_t i = 0; i < a.broker_ids.size(); ++i) {
        if (a.broker_ids[i] != services.options().node_id) {
          return rejection{error_code::invalid_replica_assignment,
                           fmt::format("The manual partition assignment includes broker {}, but no such broker is "
                                       "registered.",
                                       a.broker_ids[i])};
        }
        if (i > 0) {
          return rejection{error_code::invalid_replica_assignment,
                           fmt::format("The manual partition assignment includes the broker {} more than once.",
                                       a.broker_ids[i])};
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<create_partitions_handler::response> create_partitions_handler::handle(request_context& ctx,
                                                                                              request req) {
  auto& services = ctx.services;
  response resp;
  std::map<std::string, int> seen;
  for (const auto& topic : req.topics) ++seen[topic.name];
  mutation_quota mutations(ctx, 3);
  for (const auto& topic : req.topics) {
    topic_result result;
    result.name = topic.name;
    result.error_message = std::nullopt;
    auto reject = [&](error_code code, std::string message) {
      result.error_code = wire_code(code);
      result.error_message = std::move(message);
    };
    if (seen[topic.name] > 1) {
      reject(error_code::invalid_request, "Duplicate topic name.");
    } else if (!authorized(ctx, security::acl_operation::alter, security::resource_type::topic, topic.name)) {
      reject(error_code::topic_authorization_failed, "Authorization failed.");
    } else if (auto problem = validate(services, topic)) {
      reject(problem->code, std::move(problem->message));
    } else if (!req.validate_only && mutations.refuse()) {
      reject(error_code::throttling_quota_exceeded, "The throttling quota has been exceeded.");
    } else if (!req.validate_only) {
      const auto name = topic.name;
      const auto total = topic.count;
      const auto before = services.logs().find_topic(name);
      // Named, not a temporary: GCC 12 destroys lambda temporaries of a co_await expression twice.
      auto grow = [&services, name, total] { return services.logs().add_partitions(name, total); };
      auto grown = co_await run_blocking(services.pool(), std::move(grow));
      if (grown) {
        mutations.record(total - (before ? before->partitions : 0));
        SPATE_LOG_INFO("event=partitions_created topic={} partitions={} client={}", name, total,
                       ctx.header.client_id.value_or(""));
      } else if (grown.error() == storage::errc::invalid_partitions) {
        // Another request grew it meanwhile.
        reject(error_code::invalid_partitions, fmt::format("Topic {} already has {} or more partitions.", name, total));
      } else {
        reject(to_wire(grown.error()),
               fmt::format("Cannot add partitions to '{}': {}", name, storage::to_string(grown.error())));
      }
    }
    resp.results.push_back(std::move(result));
  }
  resp.throttle_time_ms = static_cast<std::int32_t>(mutations.throttle_ms());
  co_await apply_throttle(ctx, mutations.throttle_ms(), 0);
  co_return resp;
}

}  // namespace spate::broker
