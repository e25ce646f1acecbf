#include "broker/handlers/describe_configs.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "broker/admin_support.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/topic_config_catalogue.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using result_entry = protocol::describe_configs_response::describe_configs_result;
using config_entry = protocol::describe_configs_response::describe_configs_resource_result;

struct broker_setting_info {
  std::string_view name;
  config_type type;
  std::string_view documentation;
};

// Types and documentation of the broker settings that are not log.* defaults.
constexpr broker_setting_info broker_setting_infos[] = {
    {"advertised.listeners", config_type::string, "Address given to clients in Metadata responses."},
    {"auto.create.topics.enable", config_type::boolean,
     "Create a topic when a client asks for metadata of a missing one."},
    {"broker.id", config_type::int32, "This broker's id (the same as node.id)."},
    {"default.replication.factor", config_type::int32, "Replication factor of created topics (one broker: 1)."},
    {"delete.topic.enable", config_type::boolean, "Whether DeleteTopics may delete topics."},
    {"listeners", config_type::string, "Address the broker accepts Kafka clients on."},
    {"log.dirs", config_type::string, "Directory holding the broker's data."},
    {"log.retention.check.interval.ms", config_type::int64, "How often retention runs."},
    {"node.id", config_type::int32, "This broker's id."},
    {"num.network.threads", config_type::int32, "Event-loop threads; 0 means one per core."},
    {"num.partitions", config_type::int32, "Partitions of an auto-created topic."},
    {"socket.request.max.bytes", config_type::int32, "Largest request frame accepted."},
};

described_config broker_entry(std::string name, std::string value, bool is_default) {
  described_config c;
  c.name = std::move(name);
  c.value = std::move(value);
  c.read_only = true;  // spate has no dynamic broker configs
  c.source = is_default ? config_source::default_config : config_source::static_broker;
  for (const auto& info : broker_setting_infos) {
    if (info.name == c.name) {
      c.type = info.type;
      c.documentation = info.documentation;
    }
  }
  c.synonyms.push_back({c.name, c.value, c.source});
  return c;
}

std::vector<described_config> describe_broker(const broker& services) {
  const auto& o = services.options();
  const broker_options built_in;
  std::vector<described_config> out;
  const auto node = std::to_string(o.node_id);
  out.push_back(broker_entry("node.id", node, o.node_id == built_in.node_id));
  out.push_back(broker_entry("broker.id", node, o.node_id == built_in.node_id));
  out.push_back(broker_entry("num.partitions", std::to_string(o.num_partitions),
                             o.num_partitions == built_in.num_partitions));
  out.push_back(broker_entry("auto.create.topics.enable", o.auto_create_topics ? "true" : "false",
                             o.auto_create_topics == built_in.auto_create_topics));
  out.push_back(broker_entry("default.replication.factor", "1", true));
  out.push_back(broker_entry("delete.topic.enable", "true", true));
  for (const auto& s : o.settings) {
    const auto same = [&](const described_config& c) { return c.name == s.name; };
    std::erase_if(out, same);
    out.push_back(broker_entry(s.name, s.value, s.is_default));
  }
  for (auto& c : describe_broker_log_configs(services.logs().defaults())) out.push_back(std::move(c));
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  return out;
}

void fill(result_entry& result, std::vector<described_config> configs,
          const std::optional<std::vector<std::string>>& keys, std::int16_t version, bool synonyms,
          bool documentation) {
  for (auto& c : configs) {
    if (keys && std::find(keys->begin(), keys->end(), c.name) == keys->end()) continue;
    config_entry entry;
    entry.name = std::move(c.name);
    if (c.sensitive) {
      entry.value = std::nullopt;
    } else {
      entry.value = std::move(c.value);
    }
    entry.read_only = c.read_only;
    if (version == 0) entry.is_default = c.source == config_source::default_config;  // v0 only
    entry.config_source = static_cast<std::int8_t>(c.source);
    entry.is_sensitive = c.sensitive;
    if (version >= 1 && synonyms) {
      for (auto& s : c.synonyms) {
        protocol::describe_configs_response::describe_configs_synonym synonym;
        synonym.name = std::move(s.name);
        synonym.value = c.sensitive ? std::nullopt : std::optional<std::string>(std::move(s.value));
        synonym.source = static_cast<std::int8_t>(s.source);
        entry.synonyms.push_back(std::move(synonym));
      }
    }
    entry.config_type = static_cast<std::int8_t>(c.type);
    if (documentation) {
      entry.documentation = std::string(c.documentation);
    } else {
      entry.documentation = std::nullopt;
    }
    result.configs.push_back(std::move(entry));
  }
}

}  // namespace

boost::asio::awaitable<describe_configs_handler::response> describe_configs_handler::handle(request_context& ctx,
                                                                                            request req) {
  auto& services = ctx.services;
  const auto version = ctx.api_version;
  const bool synonyms = version >= 1 && req.include_synonyms;
  const bool documentation = version >= 3 && req.include_documentation;
  response resp;
  for (const auto& resource : req.resources) {
    result_entry result;
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    result.error_message = std::nullopt;
    auto reject = [&](error_code code, std::string message) {
      result.error_code = wire_code(code);
      result.error_message = std::move(message);
    };
    const auto& name = resource.resource_name;
    if (auto denied =
            config_resource_denied(ctx, security::acl_operation::describe_configs, resource.resource_type, name)) {
      reject(denied->code, std::move(denied->message));
    } else if (resource.resource_type == resource_type_topic) {
      if (auto problem = topic_name_problem(name)) {
        reject(error_code::invalid_topic_exception, *problem);
      } else if (auto topic = services.logs().find_topic(name)) {
        fill(result, describe_topic_configs(topic->configs, services.logs().defaults()), resource.configuration_keys,
             version, synonyms, documentation);
      } else {
        reject(error_code::unknown_topic_or_partition, unknown_topic_message(name));
      }
    } else if (resource.resource_type == resource_type_broker) {
      std::int32_t id = 0;
      const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
      if (name.empty()) {
        // Kafka: the empty name means the cluster-wide dynamic defaults; spate has none.
      } else if (ec != std::errc{} || ptr != name.data() + name.size()) {
        reject(error_code::invalid_request, fmt::format("Broker id must be an integer, but it is: {}", name));
      } else if (id != services.options().node_id) {
        reject(error_code::invalid_request,
               fmt::format("Unexpected broker id, expected {} or empty string, but received {}",
                           services.options().node_id, name));
      } else {
        fill(result, describe_broker(services), resource.configuration_keys, version, synonyms, documentation);
      }
    } else {
      reject(error_code::invalid_request, fmt::format("Unsupported resource type: {}", static_cast<int>(resource.resource_type)));
    }
    resp.results.push_back(std::move(result));
  }
  co_return resp;
}

}  // namespace spate::broker
