// /v1/quotas: Kafka's client quotas, read and altered through the broker's DescribeClientQuotas and
// AlterClientQuotas handlers (kafka_call.h), so validation and errors are those APIs' own.
#include <optional>
#include <string>

#include "admin/api_routes.h"
#include "admin/errors.h"
#include "admin/kafka_call.h"
#include "broker/handlers/alter_client_quotas.h"
#include "broker/handlers/describe_client_quotas.h"

namespace spate::admin {
namespace {

using protocol::error_code;

http_response invalid(std::string_view message) {
  return error_response(400, protocol::error_name(error_code::invalid_request), message);
}

boost::asio::awaitable<http_response> describe_quotas(api_context& ctx, http_request& request) {
  if (auto no = writes_unavailable(ctx)) co_return *no;
  auto response = co_await kafka_call<broker::describe_client_quotas_handler>(
      *ctx.services, ctx.executor(), request, protocol::describe_client_quotas_request{});
  if (response.error_code != 0) {
    co_return kafka_error_response(static_cast<error_code>(response.error_code), response.error_message.value_or(""));
  }
  auto quotas = nlohmann::json::array();
  for (const auto& entry : response.entries.value_or(decltype(response.entries)::value_type{})) {
    nlohmann::json entity = nlohmann::json::object();
    for (const auto& part : entry.entity) {
      entity[part.entity_type] = part.entity_name ? nlohmann::json(*part.entity_name) : nlohmann::json(nullptr);
    }
    nlohmann::json values = nlohmann::json::object();
    for (const auto& v : entry.values) values[v.key] = v.value;
    quotas.push_back({{"entity", entity}, {"values", values}});
  }
  co_return json_response(200, {{"quotas", quotas}});
}

boost::asio::awaitable<http_response> alter_quotas(api_context& ctx, http_request& request) {
  if (auto no = writes_unavailable(ctx)) co_return *no;
  http_response error;
  const auto body = parse_object(request, error);
  if (!body) co_return error;
  protocol::alter_client_quotas_request req;
  auto& entry = req.entries.emplace_back();
  const auto entity = body->find("entity");
  if (entity == body->end() || !entity->is_object() || entity->empty()) {
    co_return invalid("'entity' must be an object such as {\"client-id\": \"app\"} (null: the default entity)");
  }
  for (const auto& [type, name] : entity->items()) {
    if (!name.is_string() && !name.is_null()) co_return invalid("an entity name must be a string or null");
    auto& part = entry.entity.emplace_back();
    part.entity_type = type;
    part.entity_name = name.is_null() ? std::nullopt : std::optional<std::string>(name.get<std::string>());
  }
  if (const auto set = body->find("set"); set != body->end()) {
    if (!set->is_object()) co_return invalid("'set' must be an object of quota keys to numbers");
    for (const auto& [key, value] : set->items()) {
      if (!value.is_number()) co_return invalid("the value of '" + key + "' must be a number");
      entry.ops.push_back({.key = key, .value = value.get<double>(), .remove = false});
    }
  }
  if (const auto del = body->find("delete"); del != body->end()) {
    if (!del->is_array()) co_return invalid("'delete' must be an array of quota keys");
    for (const auto& key : *del) {
      if (!key.is_string()) co_return invalid("'delete' must be an array of quota keys");
      entry.ops.push_back({.key = key.get<std::string>(), .value = 0, .remove = true});
    }
  }
  if (entry.ops.empty()) co_return invalid("nothing to do: give 'set' and/or 'delete'");
  if (const auto v = body->find("validate_only"); v != body->end()) {
    if (!v->is_boolean()) co_return invalid("'validate_only' must be a boolean");
    req.validate_only = v->get<bool>();
  }
  const bool validate_only = req.validate_only;
  auto response =
      co_await kafka_call<broker::alter_client_quotas_handler>(*ctx.services, ctx.executor(), request, std::move(req));
  for (const auto& result : response.entries) {
    if (result.error_code != 0) {
      co_return kafka_error_response(static_cast<error_code>(result.error_code), result.error_message.value_or(""));
    }
  }
  co_return json_response(200, {{"entity", *entity}, {"validate_only", validate_only}, {"altered", !validate_only}});
}

nlohmann::json quotas_schema() {
  return {{"type", "object"},
          {"properties",
           {{"quotas",
             {{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties",
                 {{"entity",
                   {{"type", "object"},
                    {"description", "entity type (user, client-id) to name; null: the default entity"}}},
                  {"values", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}}}}}}}}}}};
}

}  // namespace

void add_quota_routes(route_table& table, api_context& ctx) {
  table.add({"GET",
             "/v1/quotas",
             "Client quotas set, per entity (Kafka's DescribeClientQuotas)",
             {{"responses", {{"200", ok_response("Quotas", quotas_schema())}}}},
             [&ctx](http_request& request) { return describe_quotas(ctx, request); }});
  table.add({"POST",
             "/v1/quotas",
             "Set and remove an entity's client quotas (Kafka's AlterClientQuotas)",
             {{"requestBody",
               json_request_body({{"type", "object"},
                                  {"required", {"entity"}},
                                  {"properties",
                                   {{"entity", {{"type", "object"}, {"description", "e.g. {\"client-id\": \"app\"}"}}},
                                    {"set", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}},
                                    {"delete", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                                    {"validate_only", {{"type", "boolean"}}}}}})},
              {"responses", {{"200", ok_response("Altered")}}}},
             [&ctx](http_request& r) { return alter_quotas(ctx, r); }});
}

}  // namespace spate::admin
