#include "broker/handlers/delete_topics.h"

#include <map>

#include <fmt/format.h>

#include "base/log.h"
#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/throttle.h"
#include "model/topic_name.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using topic_result = protocol::delete_topics_response::deletable_topic_result;

struct wanted {
  std::optional<std::string> name;
  protocol::uuid id;
};

std::optional<storage::topic_info> find_by_id(const broker& services, const protocol::uuid& id) {
  for (auto& topic : services.logs().list_topics()) {
    if (topic.id == id) return topic;
  }
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<delete_topics_handler::response> delete_topics_handler::handle(request_context& ctx,
                                                                                      request req) {
  auto& services = ctx.services;
  response resp;
  std::vector<wanted> topics;
  if (ctx.api_version >= 6) {
    for (auto& t : req.topics) topics.push_back({std::move(t.name), t.topic_id});
  } else {
    for (auto& name : req.topic_names) topics.push_back({std::move(name), {}});
  }
  std::map<std::string, int> names_seen;
  std::map<std::array<std::uint8_t, 16>, int> ids_seen;
  for (const auto& t : topics) {
    if (t.name) ++names_seen[*t.name];
    if (!t.id.is_nil()) ++ids_seen[t.id.value];
  }

  mutation_quota mutations(ctx, 5);
  for (const auto& t : topics) {
    topic_result result;
    result.name = t.name;
    result.topic_id = t.id;
    result.error_message = std::nullopt;
    auto reject = [&](error_code code, std::string message) {
      result.error_code = wire_code(code);
      result.error_message = std::move(message);
    };
    std::optional<storage::topic_info> topic;
    if (t.name && !t.id.is_nil()) {
      reject(error_code::invalid_request, "Topic name and topic ID can not both be specified.");
    } else if (!t.name && t.id.is_nil()) {
      reject(error_code::invalid_request, "Neither topic name nor topic ID was specified.");
    } else if ((t.name && names_seen[*t.name] > 1) || (!t.id.is_nil() && ids_seen[t.id.value] > 1)) {
      reject(error_code::invalid_request, t.name ? "Duplicate topic name." : "Duplicate topic id.");
    } else if (!t.id.is_nil()) {
      // Kafka: a topic id the principal may not DESCRIBE is as unknown as a missing one.
      topic = find_by_id(services, t.id);
      if (topic && !authorized(ctx, security::acl_operation::describe, security::resource_type::topic, topic->name)) {
        topic.reset();
      }
      if (!topic) reject(error_code::unknown_topic_id, "This server does not host this topic ID.");
    } else if (!authorized(ctx, security::acl_operation::remove, security::resource_type::topic, *t.name)) {
      reject(error_code::topic_authorization_failed, "Authorization failed.");
    } else {
      topic = services.logs().find_topic(*t.name);
      if (!topic) reject(error_code::unknown_topic_or_partition, "This server does not host this topic-partition.");
    }
    if (topic && !t.id.is_nil() &&
        !authorized(ctx, security::acl_operation::remove, security::resource_type::topic, topic->name)) {
      result.name = topic->name;
      reject(error_code::topic_authorization_failed, "Authorization failed.");
      topic.reset();
    }
    if (topic) {
      // Kafka answers v6 results for a topic asked by id with its name, and by name with its id.
      result.name = topic->name;
      result.topic_id = topic->id;
      if (model::is_internal_topic(topic->name)) {
        // Our choice: internal topics are owned by the broker's coordinators (committed offsets,
        // transactions) and are refused with INVALID_TOPIC_EXCEPTION, the code Kafka uses for client
        // writes and DeleteRecords on internal topics, rather than deleted from under them.
        reject(error_code::invalid_topic_exception, fmt::format("Cannot delete internal topic {}.", topic->name));
      } else if (mutations.refuse()) {
        reject(error_code::throttling_quota_exceeded, "The throttling quota has been exceeded.");
      } else {
        const auto name = topic->name;
        const auto partitions = topic->partitions;
        // Named, not a temporary: GCC 12 destroys lambda temporaries of a co_await expression twice.
        auto remove = [&services, name] { return services.logs().delete_topic(name); };
        auto deleted = co_await run_blocking(services.pool(), std::move(remove));
        if (deleted) {
          mutations.record(partitions);
          const auto offsets_removed = services.groups().remove_topic_offsets(name);
          SPATE_LOG_INFO("event=topic_deleted_by_client topic={} client={} group_offsets_removed={}", name,
                         ctx.header.client_id.value_or(""), offsets_removed);
        } else if (deleted.error() == storage::errc::unknown_topic_or_partition) {
          reject(error_code::unknown_topic_or_partition, "This server does not host this topic-partition.");
        } else {
          reject(to_wire(deleted.error()),
                 fmt::format("Cannot delete topic '{}': {}", name, storage::to_string(deleted.error())));
        }
      }
    }
    if (ctx.api_version < 6 && !result.name) result.name = "";
    resp.responses.push_back(std::move(result));
  }
  resp.throttle_time_ms = static_cast<std::int32_t>(mutations.throttle_ms());
  co_await apply_throttle(ctx, mutations.throttle_ms(), 0);
  co_return resp;
}

}  // namespace spate::broker
