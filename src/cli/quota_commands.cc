// spate quota describe|alter: Kafka client quotas (KIP-546's DescribeClientQuotas and
// AlterClientQuotas), sent over kafka_connection (any security.protocol, see sasl_connection.h)
// because librdkafka has no client for them. Works against any broker that serves the APIs (Kafka
// 2.6 on), as kafka-configs.sh does.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/sasl_connection.h"
#include "cli/table.h"
#include "protocol/messages/alter_client_quotas.h"
#include "protocol/messages/describe_client_quotas.h"

namespace spate::cli {

namespace {

using json = nlohmann::json;

// Version 0 of both APIs: every broker that has them serves it, and later versions add nothing
// but the flexible encoding.
constexpr std::int16_t quota_api_version = 0;
constexpr const char* default_name = "<default>";

// The entity named by the flags: user and client id, each absent, named, or the default.
struct entity_flags {
  std::optional<std::string> user;
  bool user_default = false;
  std::optional<std::string> client_id;
  bool client_id_default = false;
};

struct describe_args {
  entity_flags entity;
};

struct alter_args {
  entity_flags entity;
  std::vector<std::string> sets;
  std::vector<std::string> deletes;
  bool validate_only = false;
};

void add_entity_flags(CLI::App& cmd, entity_flags& e) {
  auto* user = cmd.add_option("--user", e.user, "The user entity (ANONYMOUS: clients of PLAINTEXT listeners)");
  auto* user_default = cmd.add_flag("--user-default", e.user_default, "The default user entity");
  auto* client = cmd.add_option("--client-id", e.client_id, "The client-id entity");
  auto* client_default = cmd.add_flag("--client-id-default", e.client_id_default, "The default client-id entity");
  user->excludes(user_default);
  client->excludes(client_default);
}

// The (entity type, name) pairs of the flags; a null name is the default entity.
std::vector<std::pair<std::string, std::optional<std::string>>> entity_parts(const entity_flags& e) {
  std::vector<std::pair<std::string, std::optional<std::string>>> parts;
  if (e.user || e.user_default) parts.emplace_back("user", e.user_default ? std::nullopt : e.user);
  if (e.client_id || e.client_id_default) {
    parts.emplace_back("client-id", e.client_id_default ? std::nullopt : e.client_id);
  }
  return parts;
}

std::string describe_entity(const std::vector<std::pair<std::string, std::optional<std::string>>>& parts) {
  std::string out;
  for (const auto& [type, name] : parts) {
    if (!out.empty()) out += ", ";
    out += type + "=" + name.value_or(default_name);
  }
  return out;
}

// Quota values are doubles on the wire; byte rates are whole numbers and read better without ".0".
std::string format_value(double value) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<std::int64_t>(value));
  return fmt::format("{}", value);
}

double parse_value(const std::string& key, const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw command_error("quota alter: the value of " + key + " is not a number: '" + text + "'");
}

[[noreturn]] void transport_failure(const std::string& what, const client_options& o, const std::exception& e) {
  fail(what + " " + first_broker(o), RD_KAFKA_RESP_ERR__TRANSPORT, e.what());
}

void describe(const client_options& o, const describe_args& a) {
  const std::string what = "quota describe";
  protocol::describe_client_quotas_request request;
  const auto parts = entity_parts(a.entity);
  for (const auto& [type, name] : parts) {
    auto& c = request.components.emplace_back();
    c.entity_type = type;
    c.match_type = name ? 0 : 1;  // 0: exactly this name, 1: the default entity
    c.match = name;
  }
  // Named entities are described exactly as named; no flag lists every entity.
  request.strict = !parts.empty();
  protocol::describe_client_quotas_response response;
  auto connection = open_connection(o, what);
  try {
    response = connection->call<protocol::describe_client_quotas_response>(request, quota_api_version);
  } catch (const std::exception& e) {
    transport_failure(what, o, e);
  }
  if (response.error_code != 0) {
    fail(what, static_cast<rd_kafka_resp_err_t>(response.error_code), response.error_message.value_or(""));
  }
  json entries = json::array();
  table t({"USER", "CLIENT_ID", "QUOTA", "VALUE"});
  for (const auto& entry :
       response.entries.value_or(std::vector<protocol::describe_client_quotas_response::entry_data>{})) {
    json entity = json::object();
    std::string user = "-", client = "-";  // "-": the entity has no such part
    for (const auto& part : entry.entity) {
      entity[part.entity_type] = part.entity_name ? json(*part.entity_name) : json(nullptr);
      const std::string shown = part.entity_name.value_or(default_name);
      if (part.entity_type == "user") user = shown;
      if (part.entity_type == "client-id") client = shown;
    }
    json values = json::object();
    for (const auto& v : entry.values) {
      values[v.key] = v.value;
      t.add_row({user, client, v.key, format_value(v.value)});
    }
    entries.push_back({{"entity", entity}, {"values", values}});
  }
  if (o.json) {
    print_text(json{{"quotas", entries}}.dump(2) + "\n");
  } else if (entries.empty()) {
    print_text("No client quotas" + (parts.empty() ? std::string() : " for " + describe_entity(parts)) + "\n");
  } else {
    print_text(t.render());
  }
}

void alter(const client_options& o, const alter_args& a) {
  const std::string what = "quota alter";
  const auto parts = entity_parts(a.entity);
  if (parts.empty()) throw command_error(what + ": name an entity (--user, --client-id or their --*-default)");
  if (a.sets.empty() && a.deletes.empty()) throw command_error(what + ": nothing to do (give --set or --delete)");
  protocol::alter_client_quotas_request request;
  request.validate_only = a.validate_only;
  auto& entry = request.entries.emplace_back();
  for (const auto& [type, name] : parts) {
    auto& e = entry.entity.emplace_back();
    e.entity_type = type;
    e.entity_name = name;
  }
  for (const auto& set : a.sets) {
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) throw command_error(what + ": --set takes KEY=VALUE, got '" + set + "'");
    auto& op = entry.ops.emplace_back();
    op.key = set.substr(0, eq);
    op.value = parse_value(op.key, set.substr(eq + 1));
    op.remove = false;
  }
  for (const auto& key : a.deletes) {
    auto& op = entry.ops.emplace_back();
    op.key = key;
    op.remove = true;
  }
  protocol::alter_client_quotas_response response;
  auto connection = open_connection(o, what);
  try {
    response = connection->call<protocol::alter_client_quotas_response>(request, quota_api_version);
  } catch (const std::exception& e) {
    transport_failure(what, o, e);
  }
  for (const auto& result : response.entries) {
    if (result.error_code != 0) {
      fail(what + " " + describe_entity(parts), static_cast<rd_kafka_resp_err_t>(result.error_code),
           result.error_message.value_or(""));
    }
  }
  if (o.json) {
    print_text(json{{"entity", describe_entity(parts)}, {"validate_only", a.validate_only}, {"altered", true}}.dump(2) +
               "\n");
  } else {
    print_text((a.validate_only ? "Valid: " : "Altered: ") + describe_entity(parts) + "\n");
  }
}

}  // namespace

void register_quota_commands(CLI::App& app) {
  auto* quota = app.add_subcommand("quota", "Client quotas: byte rates and request shares per user and client id");
  quota->require_subcommand(1);
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<describe_args>();
    auto* cmd = add_client_command(*quota, "describe", "The quotas set (all, or those of the entity named)", o,
                                   [o, a] { describe(*o, *a); });
    add_entity_flags(*cmd, a->entity);
  }
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<alter_args>();
    auto* cmd = add_client_command(*quota, "alter", "Set or remove an entity's quotas", o, [o, a] { alter(*o, *a); });
    add_entity_flags(*cmd, a->entity);
    cmd->add_option("--set", a->sets,
                    "KEY=VALUE (repeatable): producer_byte_rate, consumer_byte_rate, request_percentage, "
                    "controller_mutation_rate");
    cmd->add_option("--delete", a->deletes, "A quota key to remove (repeatable)");
    cmd->add_flag("--validate-only", a->validate_only, "Check the change without applying it");
  }
}

}  // namespace spate::cli
