// /v1/topics: list, describe, create, delete, alter config, delete records. Writes go through the
// Kafka handlers (kafka_call.h), so their validation and errors are CreateTopics', DeleteTopics',
// IncrementalAlterConfigs' and DeleteRecords'.
#include <algorithm>
#include <limits>

#include "admin/api_routes.h"
#include "admin/errors.h"
#include "admin/kafka_call.h"
#include "broker/handlers/create_topics.h"
#include "broker/handlers/delete_records.h"
#include "broker/handlers/delete_topics.h"
#include "broker/handlers/incremental_alter_configs.h"

namespace spate::admin {
namespace {

using protocol::error_code;

constexpr std::int8_t topic_resource_type = 2;  // Kafka's ConfigResource.Type.TOPIC
constexpr std::int8_t op_set = 0;
constexpr std::int8_t op_delete = 1;
constexpr std::int32_t write_timeout_ms = 30000;

http_response invalid(std::string_view message) {
  return error_response(400, protocol::error_name(error_code::invalid_request), message);
}

// A config value as text: strings as they are, numbers and booleans as JSON spells them.
std::optional<std::string> config_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return std::nullopt;
}

http_response topic_or_404(const api_context& ctx, const std::string& name, int status) {
  const auto topic = ctx.view->topic(name);
  if (!topic) return kafka_error_response(error_code::unknown_topic_or_partition, "no topic '" + name + "'");
  return json_response(status, topic_json(*topic));
}

boost::asio::awaitable<http_response> create_topic(api_context& ctx, http_request& request) {
  if (auto no = writes_unavailable(ctx)) co_return *no;
  http_response error;
  const auto body = parse_object(request, error);
  if (!body) co_return error;
  protocol::create_topics_request req;
  req.timeout_ms = write_timeout_ms;
  auto& topic = req.topics.emplace_back();
  if (!body->contains("name") || !(*body)["name"].is_string()) co_return invalid("'name' must be a string");
  topic.name = (*body)["name"].get<std::string>();
  topic.num_partitions = -1;
  topic.replication_factor = -1;
  if (body->contains("partitions")) {
    const auto& p = (*body)["partitions"];
    if (!p.is_number_integer()) co_return invalid("'partitions' must be an integer");
    topic.num_partitions = static_cast<std::int32_t>(
        std::clamp<std::int64_t>(p.get<std::int64_t>(), -1, std::numeric_limits<std::int32_t>::max()));
  }
  if (body->contains("replication_factor")) {
    const auto& r = (*body)["replication_factor"];
    if (!r.is_number_integer()) co_return invalid("'replication_factor' must be an integer");
    topic.replication_factor = static_cast<std::int16_t>(
        std::clamp<std::int64_t>(r.get<std::int64_t>(), -1, std::numeric_limits<std::int16_t>::max()));
  }
  if (body->contains("configs")) {
    const auto& configs = (*body)["configs"];
    if (!configs.is_object()) co_return invalid("'configs' must be an object of name: value");
    for (const auto& [name, value] : configs.items()) {
      auto& config = topic.configs.emplace_back();
      config.name = name;
      if (value.is_null()) {
        config.value = std::nullopt;
      } else if (auto text = config_text(value)) {
        config.value = *text;
      } else {
        co_return invalid("config '" + name + "' must be a string, number or boolean");
      }
    }
  }
  const auto name = topic.name;
  auto response =
      co_await kafka_call<broker::create_topics_handler>(*ctx.services, ctx.executor(), request, std::move(req));
  if (response.topics.empty()) co_return error_response(500, internal_error, "CreateTopics answered no topic");
  const auto& result = response.topics.front();
  if (result.error_code != 0) {
    co_return kafka_error_response(static_cast<error_code>(result.error_code), result.error_message.value_or(""));
  }
  co_return topic_or_404(ctx, name, 201);
}

boost::asio::awaitable<http_response> delete_topic(api_context& ctx, http_request& request) {
  if (auto no = writes_unavailable(ctx)) co_return *no;
  protocol::delete_topics_request req;
  req.timeout_ms = write_timeout_ms;
  auto& topic = req.topics.emplace_back();
  topic.name = request.params["topic"];
  auto response =
      co_await kafka_call<broker::delete_topics_handler>(*ctx.services, ctx.executor(), request, std::move(req));
  if (response.responses.empty()) co_return error_response(500, internal_error, "DeleteTopics answered no topic");
  const auto& result = response.responses.front();
  if (result.error_code != 0) {
    co_return kafka_error_response(static_cast<error_code>(result.error_code), result.error_message.value_or(""));
  }
  co_return json_response(200, {{"deleted", request.params["topic"]}});
}

boost::asio::awaitable<http_response> alter_topic_config(api_context& ctx, http_request& request) {
  if (auto no = writes_unavailable(ctx)) co_return *no;
  http_response error;
  const auto body = parse_object(request, error);
  if (!body) co_return error;
  protocol::incremental_alter_configs_request req;
  auto& resource = req.resources.emplace_back();
  resource.resource_type = topic_resource_type;
  resource.resource_name = request.params["topic"];
  if (body->contains("set")) {
    const auto& set = (*body)["set"];
    if (!set.is_object()) co_return invalid("'set' must be an object of name: value");
    for (const auto& [name, value] : set.items()) {
      auto text = config_text(value);
      if (!text) co_return invalid("config '" + name + "' must be a string, number or boolean");
      auto& config = resource.configs.emplace_back();
      config.name = name;
      config.config_operation = op_set;
      config.value = *text;
    }
  }
  if (body->contains("delete")) {
    const auto& names = (*body)["delete"];
    if (!names.is_array()) co_return invalid("'delete' must be an array of config names");
    for (const auto& name : names) {
      if (!name.is_string()) co_return invalid("'delete' must be an array of config names");
      auto& config = resource.configs.emplace_back();
      config.name = name.get<std::string>();
      config.config_operation = op_delete;
      config.value = std::nullopt;
    }
  }
  if (resource.configs.empty()) co_return invalid("nothing to change: give 'set' and/or 'delete'");
  auto response = co_await kafka_call<broker::incremental_alter_configs_handler>(*ctx.services, ctx.executor(), request,
                                                                                 std::move(req));
  if (response.responses.empty())
    co_return error_response(500, internal_error, "IncrementalAlterConfigs answered nothing");
  const auto& result = response.responses.front();
  if (result.error_code != 0) {
    co_return kafka_error_response(static_cast<error_code>(result.error_code), result.error_message.value_or(""));
  }
  co_return topic_or_404(ctx, request.params["topic"], 200);
}

boost::asio::awaitable<http_response> delete_records(api_context& ctx, http_request& request) {
  if (auto no = writes_unavailable(ctx)) co_return *no;
  http_response error;
  const auto body = parse_object(request, error);
  if (!body) co_return error;
  if (!body->contains("partitions") || !(*body)["partitions"].is_array() || (*body)["partitions"].empty()) {
    co_return invalid("'partitions' must be a non-empty array of {\"partition\": P, \"offset\": O}");
  }
  protocol::delete_records_request req;
  req.timeout_ms = write_timeout_ms;
  auto& topic = req.topics.emplace_back();
  topic.name = request.params["topic"];
  for (const auto& p : (*body)["partitions"]) {
    if (!p.is_object() || !p.contains("partition") || !p["partition"].is_number_integer() || !p.contains("offset") ||
        !p["offset"].is_number_integer()) {
      co_return invalid(
          "each partition must be {\"partition\": P, \"offset\": O} with integers (O = -1: high watermark)");
    }
    auto& partition = topic.partitions.emplace_back();
    partition.partition_index = p["partition"].get<std::int32_t>();
    partition.offset = p["offset"].get<std::int64_t>();
  }
  auto response =
      co_await kafka_call<broker::delete_records_handler>(*ctx.services, ctx.executor(), request, std::move(req));
  auto results = nlohmann::json::array();
  auto first_error = error_code::none;
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      const auto code = static_cast<error_code>(p.error_code);
      if (code != error_code::none && first_error == error_code::none) first_error = code;
      results.push_back(
          {{"partition", p.partition_index},
           {"low_watermark", p.low_watermark},
           {"error", code == error_code::none ? nlohmann::json() : nlohmann::json(protocol::error_name(code))}});
    }
  }
  if (first_error != error_code::none) {
    auto answer = kafka_error_response(first_error);
    auto json = nlohmann::json::parse(answer.body);
    json["partitions"] = results;
    answer.body = json.dump();
    co_return answer;
  }
  co_return json_response(200, {{"topic", request.params["topic"]}, {"partitions", results}});
}

nlohmann::json topic_schema() {
  return {{"type", "object"},
          {"properties",
           {{"name", {{"type", "string"}}},
            {"topic_id", {{"type", "string"}}},
            {"internal", {{"type", "boolean"}}},
            {"partition_count", {{"type", "integer"}}},
            {"configs", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
            {"partitions",
             {{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties",
                 {{"partition", {{"type", "integer"}}},
                  {"log_start_offset", {{"type", "integer"}}},
                  {"log_end_offset", {{"type", "integer"}}},
                  {"high_watermark", {{"type", "integer"}}},
                  {"last_stable_offset", {{"type", "integer"}}},
                  {"size_bytes", {{"type", "integer"}}},
                  {"segment_count", {{"type", "integer"}}}}}}}}}}}};
}

}  // namespace

void add_topic_routes(route_table& table, api_context& ctx) {
  table.add(
      {"GET",
       "/v1/topics",
       "List topics with their partition counts",
       {{"responses",
         {{"200", ok_response("Topics", {{"type", "object"}, {"properties", {{"topics", {{"type", "array"}}}}}})}}}},
       sync_handler([&ctx](http_request&) {
         auto topics = nlohmann::json::array();
         for (const auto& t : ctx.view->topics()) {
           topics.push_back(
               {{"name", t.name}, {"topic_id", t.topic_id}, {"partitions", t.partitions}, {"internal", t.internal}});
         }
         return json_response(200, {{"topics", topics}});
       })});
  table.add(
      {"POST",
       "/v1/topics",
       "Create a topic (Kafka's CreateTopics)",
       {{"requestBody",
         json_request_body({{"type", "object"},
                            {"required", {"name"}},
                            {"properties",
                             {{"name", {{"type", "string"}}},
                              {"partitions", {{"type", "integer"}, {"description", "-1 or absent: num.partitions"}}},
                              {"replication_factor", {{"type", "integer"}}},
                              {"configs", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}}}}})},
        {"responses", {{"201", ok_response("Created", topic_schema())}}}},
       [&ctx](http_request& r) { return create_topic(ctx, r); }});
  table.add({"GET",
             "/v1/topics/{topic}",
             "A topic's partitions (offsets, size on disk, segments) and configs",
             {{"responses", {{"200", ok_response("Topic", topic_schema())}}}},
             sync_handler([&ctx](http_request& r) { return topic_or_404(ctx, r.params["topic"], 200); })});
  table.add({"DELETE",
             "/v1/topics/{topic}",
             "Delete a topic (Kafka's DeleteTopics)",
             {{"responses", {{"200", ok_response("Deleted")}}}},
             [&ctx](http_request& r) { return delete_topic(ctx, r); }});
  table.add({"PATCH",
             "/v1/topics/{topic}/config",
             "Set and delete topic configs (Kafka's IncrementalAlterConfigs)",
             {{"requestBody",
               json_request_body({{"type", "object"},
                                  {"properties",
                                   {{"set", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
                                    {"delete", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}})},
              {"responses", {{"200", ok_response("Altered", topic_schema())}}}},
             [&ctx](http_request& r) { return alter_topic_config(ctx, r); }});
  table.add(
      {"POST",
       "/v1/topics/{topic}/delete-records",
       "Move partitions' log start offsets up (Kafka's DeleteRecords; offset -1: the high watermark)",
       {{"requestBody",
         json_request_body(
             {{"type", "object"},
              {"required", {"partitions"}},
              {"properties",
               {{"partitions",
                 {{"type", "array"},
                  {"items",
                   {{"type", "object"},
                    {"required", {"partition", "offset"}},
                    {"properties", {{"partition", {{"type", "integer"}}}, {"offset", {{"type", "integer"}}}}}}}}}}}})},
        {"responses", {{"200", ok_response("New log start offsets")}}}},
       [&ctx](http_request& r) { return delete_records(ctx, r); }});
}

}  // namespace spate::admin
