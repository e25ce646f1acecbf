#include "admin/openapi.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace spate::admin {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// "GET /v1/topics/{topic}/config" -> "get_v1_topics_topic_config": unique per route.
std::string operation_id(const route& r) {
  std::string id = lower(r.method);
  for (char c : r.pattern) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      id.push_back(c);
    } else if (c == '/' || c == '-') {
      id.push_back('_');
    }
  }
  return id;
}

nlohmann::json error_schema() {
  return {{"type", "object"},
          {"required", {"error", "message"}},
          {"properties",
           {{"error", {{"type", "string"}, {"description", "Kafka's error name, or an HTTP-level name"}}},
            {"message", {{"type", "string"}}}}}};
}

}  // namespace

nlohmann::json openapi_document(const route_table& routes, std::string_view version) {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& r : routes.routes()) {
    nlohmann::json operation = r.openapi.is_object() ? r.openapi : nlohmann::json::object();
    operation["summary"] = r.summary;
    operation["operationId"] = operation_id(r);
    auto parameters = nlohmann::json::array();
    for (const auto& name : pattern_params(r.pattern)) {
      parameters.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    if (operation.contains("parameters")) {
      for (const auto& p : operation["parameters"]) parameters.push_back(p);
    }
    if (!parameters.empty()) operation["parameters"] = parameters;
    auto& responses = operation["responses"];
    if (!responses.is_object() || responses.empty()) {
      responses = {{"200", {{"description", "OK"}}}};
    }
    responses["default"] = {
        {"description", "Error"},
        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
    paths[r.pattern][lower(r.method)] = operation;
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "spate admin API"},
        {"version", std::string(version)},
        {"description", "HTTP admin API of the spate broker. No authentication yet; binds loopback by default."}}},
      {"paths", paths},
      {"components", {{"schemas", {{"Error", error_schema()}}}}},
  };
}

}  // namespace spate::admin
