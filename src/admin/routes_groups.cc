// /v1/groups: list, describe (with lag), reset offsets, delete. Writes go through the Kafka
// handlers (kafka_call.h): OffsetCommit as an admin client commits (generation -1, no member) and
// DeleteGroups.
#include <algorithm>
#include <limits>
#include <map>
#include <variant>

#include "admin/api_routes.h"
#include "admin/errors.h"
#include "admin/kafka_call.h"
#include "broker/handlers/delete_groups.h"
#include "broker/handlers/offset_commit.h"

namespace spate::admin {
namespace {

using protocol::error_code;

http_response invalid(std::string_view message) {
  return error_response(400, protocol::error_name(error_code::invalid_request), message);
}

nlohmann::json group_json(const group_detail& g) {
  auto members = nlohmann::json::array();
  for (const auto& m : g.members) {
    members.push_back(
        {{"member_id", m.member_id},
         {"group_instance_id", m.group_instance_id ? nlohmann::json(*m.group_instance_id) : nlohmann::json()},
         {"client_id", m.client_id},
         {"client_host", m.client_host}});
  }
  auto offsets = nlohmann::json::array();
  std::int64_t total_lag = 0;
  for (const auto& o : g.offsets) {
    nlohmann::json entry = {{"topic", o.topic},
                            {"partition", o.partition},
                            {"committed_offset", o.committed_offset},
                            {"metadata", o.metadata ? nlohmann::json(*o.metadata) : nlohmann::json()}};
    if (o.high_watermark) {
      const auto lag = std::max<std::int64_t>(0, *o.high_watermark - o.committed_offset);
      total_lag += lag;
      entry["log_end_offset"] = *o.high_watermark;
      entry["lag"] = lag;
    } else {
      entry["log_end_offset"] = nullptr;
      entry["lag"] = nullptr;
    }
    offsets.push_back(entry);
  }
  return {{"group_id", g.group_id}, {"state", g.state},   {"protocol_type", g.protocol_type},
          {"protocol", g.protocol}, {"members", members}, {"offsets", offsets},
          {"total_lag", total_lag}};
}

struct reset_target {
  std::string topic;
  std::int32_t partition;
  std::int64_t offset;
};

// Where each partition goes; an error response when the request cannot be honoured.
std::variant<std::vector<reset_target>, http_response> reset_targets(const api_context& ctx,
                                                                     const std::optional<group_detail>& group,
                                                                     const nlohmann::json& body) {
  if (!body.contains("to") || !body["to"].is_string()) {
    return invalid("'to' must be one of earliest, latest, offset, timestamp, shift");
  }
  const auto to = body["to"].get<std::string>();
  auto integer = [&body](const char* key) -> std::optional<std::int64_t> {
    if (!body.contains(key) || !body[key].is_number_integer()) return std::nullopt;
    return body[key].get<std::int64_t>();
  };
  const char* needs = to == "offset" ? "offset" : to == "timestamp" ? "timestamp" : to == "shift" ? "shift" : nullptr;
  if (!needs && to != "earliest" && to != "latest") {
    return invalid("'to' must be one of earliest, latest, offset, timestamp, shift");
  }
  if (needs && !integer(needs)) return invalid(std::string("'to': '") + to + "' needs an integer '" + needs + "'");

  // The partitions: a topic's (all, or the listed ones), else every partition the group has offsets for.
  std::vector<std::pair<std::string, std::int32_t>> wanted;
  if (body.contains("topic")) {
    if (!body["topic"].is_string()) return invalid("'topic' must be a string");
    const auto topic = ctx.view->topic(body["topic"].get<std::string>());
    if (!topic) return kafka_error_response(error_code::unknown_topic_or_partition, "no such topic");
    if (body.contains("partitions")) {
      if (!body["partitions"].is_array()) return invalid("'partitions' must be an array of partition numbers");
      for (const auto& p : body["partitions"]) {
        if (!p.is_number_integer()) return invalid("'partitions' must be an array of partition numbers");
        wanted.emplace_back(topic->summary.name, p.get<std::int32_t>());
      }
    } else {
      for (const auto& p : topic->partitions) wanted.emplace_back(topic->summary.name, p.partition);
    }
  } else if (group) {
    for (const auto& o : group->offsets) wanted.emplace_back(o.topic, o.partition);
  }
  if (wanted.empty()) return invalid("no partitions to reset: name a 'topic' or reset a group with committed offsets");

  std::vector<reset_target> targets;
  std::map<std::string, std::optional<topic_detail>> topics;
  for (const auto& [topic_name, partition] : wanted) {
    auto& topic = topics[topic_name];
    if (!topic) topic = ctx.view->topic(topic_name);
    const partition_state* state = nullptr;
    if (topic) {
      for (const auto& p : topic->partitions) {
        if (p.partition == partition) state = &p;
      }
    }
    if (!state) {
      return kafka_error_response(error_code::unknown_topic_or_partition,
                                  "no partition " + topic_name + "-" + std::to_string(partition));
    }
    std::int64_t committed = state->log_start_offset;
    if (group) {
      for (const auto& o : group->offsets) {
        if (o.topic == topic_name && o.partition == partition) committed = o.committed_offset;
      }
    }
    std::int64_t offset = 0;
    if (to == "earliest") {
      offset = state->log_start_offset;
    } else if (to == "latest") {
      offset = state->high_watermark;
    } else if (to == "offset") {
      offset = *integer("offset");
    } else if (to == "shift") {
      const auto shift = *integer("shift");
      offset = shift > 0 && committed > std::numeric_limits<std::int64_t>::max() - shift ? state->high_watermark
                                                                                         : committed + shift;
    } else {
      offset =
          ctx.view->offset_for_timestamp(topic_name, partition, *integer("timestamp")).value_or(state->high_watermark);
    }
    offset = std::clamp(offset, state->log_start_offset, state->high_watermark);
    targets.push_back({topic_name, partition, offset});
  }
  return targets;
}

boost::asio::awaitable<http_response> reset_offsets(api_context& ctx, http_request& request) {
  if (auto no = writes_unavailable(ctx)) co_return *no;
  http_response error;
  const auto body = parse_object(request, error);
  if (!body) co_return error;
  const auto group_id = request.params["group"];
  const auto group = ctx.view->group(group_id);
  if (group && group->state != "Empty" && group->state != "Dead") {
    co_return kafka_error_response(error_code::non_empty_group,
                                   "group '" + group_id + "' is " + group->state + ": stop its consumers first");
  }
  auto planned = reset_targets(ctx, group, *body);
  if (auto* answer = std::get_if<http_response>(&planned)) co_return *answer;
  const auto& targets = std::get<std::vector<reset_target>>(planned);
  const bool dry_run = body->contains("dry_run") && (*body)["dry_run"].is_boolean() && (*body)["dry_run"].get<bool>();
  auto offsets = nlohmann::json::array();
  for (const auto& t : targets)
    offsets.push_back({{"topic", t.topic}, {"partition", t.partition}, {"offset", t.offset}});
  if (dry_run) co_return json_response(200, {{"group_id", group_id}, {"dry_run", true}, {"offsets", offsets}});

  protocol::offset_commit_request req;
  req.group_id = group_id;
  req.generation_id_or_member_epoch = -1;
  for (const auto& t : targets) {
    auto topic = std::find_if(req.topics.begin(), req.topics.end(), [&t](const auto& x) { return x.name == t.topic; });
    if (topic == req.topics.end()) {
      req.topics.emplace_back().name = t.topic;
      topic = std::prev(req.topics.end());
    }
    auto& partition = topic->partitions.emplace_back();
    partition.partition_index = t.partition;
    partition.committed_offset = t.offset;
    partition.committed_metadata = "";
  }
  auto response =
      co_await kafka_call<broker::offset_commit_handler>(*ctx.services, ctx.executor(), request, std::move(req));
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      if (p.error_code != 0) {
        co_return kafka_error_response(static_cast<error_code>(p.error_code),
                                       "cannot commit " + t.name + "-" + std::to_string(p.partition_index) + ": " +
                                           std::string(protocol::error_name(static_cast<error_code>(p.error_code))));
      }
    }
  }
  co_return json_response(200, {{"group_id", group_id}, {"dry_run", false}, {"offsets", offsets}});
}

boost::asio::awaitable<http_response> delete_group(api_context& ctx, http_request& request) {
  if (auto no = writes_unavailable(ctx)) co_return *no;
  protocol::delete_groups_request req;
  req.groups_names.push_back(request.params["group"]);
  auto response =
      co_await kafka_call<broker::delete_groups_handler>(*ctx.services, ctx.executor(), request, std::move(req));
  if (response.results.empty()) co_return error_response(500, internal_error, "DeleteGroups answered no group");
  if (const auto code = static_cast<error_code>(response.results.front().error_code); code != error_code::none) {
    co_return kafka_error_response(code);
  }
  co_return json_response(200, {{"deleted", request.params["group"]}});
}

}  // namespace

void add_group_routes(route_table& table, api_context& ctx) {
  table.add({"GET",
             "/v1/groups",
             "List consumer groups with their states",
             {{"responses", {{"200", ok_response("Groups")}}}},
             sync_handler([&ctx](http_request&) {
               auto groups = nlohmann::json::array();
               for (const auto& g : ctx.view->groups()) {
                 groups.push_back({{"group_id", g.group_id}, {"state", g.state}, {"protocol_type", g.protocol_type}});
               }
               return json_response(200, {{"groups", groups}});
             })});
  table.add({"GET",
             "/v1/groups/{group}",
             "A group's state, members, committed offsets, log end offsets and lag",
             {{"responses", {{"200", ok_response("Group")}}}},
             sync_handler([&ctx](http_request& r) {
               const auto group = ctx.view->group(r.params["group"]);
               if (!group)
                 return kafka_error_response(error_code::group_id_not_found, "no group '" + r.params["group"] + "'");
               return json_response(200, group_json(*group));
             })});
  table.add({"POST",
             "/v1/groups/{group}/reset-offsets",
             "Reset an empty group's committed offsets (to earliest, latest, offset, timestamp or shift)",
             {{"requestBody",
               json_request_body(
                   {{"type", "object"},
                    {"required", {"to"}},
                    {"properties",
                     {{"to", {{"type", "string"}, {"enum", {"earliest", "latest", "offset", "timestamp", "shift"}}}},
                      {"offset", {{"type", "integer"}}},
                      {"timestamp", {{"type", "integer"}, {"description", "ms since the epoch"}}},
                      {"shift", {{"type", "integer"}}},
                      {"topic", {{"type", "string"}}},
                      {"partitions", {{"type", "array"}, {"items", {{"type", "integer"}}}}},
                      {"dry_run", {{"type", "boolean"}}}}}})},
              {"responses", {{"200", ok_response("The new offsets")}, {"409", ok_response("The group is not empty")}}}},
             [&ctx](http_request& r) { return reset_offsets(ctx, r); }});
  table.add({"DELETE",
             "/v1/groups/{group}",
             "Delete an empty group and its offsets (Kafka's DeleteGroups)",
             {{"responses", {{"200", ok_response("Deleted")}}}},
             [&ctx](http_request& r) { return delete_group(ctx, r); }});
}

}  // namespace spate::admin
