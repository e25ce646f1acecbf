#include "admin/api_routes.h"

#include "admin/errors.h"

namespace spate::admin {

http_response json_response(int status, const nlohmann::json& body) {
  http_response response;
  response.status = status;
  response.body = body.dump();
  return response;
}

std::optional<nlohmann::json> parse_object(const http_request& request, http_response& error) {
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    error = error_response(400, invalid_json, "the request body is not valid JSON");
    return std::nullopt;
  }
  if (!body.is_object()) {
    error = error_response(400, invalid_json, "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

std::optional<http_response> writes_unavailable(const api_context& ctx) {
  if (ctx.services) return std::nullopt;
  return error_response(503, service_unavailable, "this server does not accept writes");
}

nlohmann::json json_content(const nlohmann::json& schema) { return {{"application/json", {{"schema", schema}}}}; }

nlohmann::json ok_response(const std::string& description, const nlohmann::json& schema) {
  return {{"description", description}, {"content", json_content(schema)}};
}

nlohmann::json json_request_body(const nlohmann::json& schema) {
  return {{"required", true}, {"content", json_content(schema)}};
}

nlohmann::json topic_json(const topic_detail& topic) {
  auto partitions = nlohmann::json::array();
  for (const auto& p : topic.partitions) {
    partitions.push_back({{"partition", p.partition},
                          {"log_start_offset", p.log_start_offset},
                          {"log_end_offset", p.log_end_offset},
                          {"high_watermark", p.high_watermark},
                          {"last_stable_offset", p.last_stable_offset},
                          {"size_bytes", p.size_bytes},
                          {"segment_count", p.segment_count}});
  }
  return {{"name", topic.summary.name},         {"topic_id", topic.summary.topic_id},
          {"internal", topic.summary.internal}, {"partition_count", topic.summary.partitions},
          {"configs", topic.configs},           {"partitions", partitions}};
}

}  // namespace spate::admin
