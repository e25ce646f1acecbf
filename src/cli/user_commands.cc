// spate user create|delete|list: SCRAM users (KIP-554's DescribeUserScramCredentials and
// AlterUserScramCredentials), sent over kafka_connection (any security.protocol, see
// sasl_connection.h) because librdkafka has no client for them. As kafka-configs.sh does, the CLI
// derives the salt and salted password itself: the password never leaves this process. Works
// against any broker that serves the APIs (Kafka 2.7 on).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/sasl_connection.h"
#include "cli/table.h"
#include "protocol/messages/alter_user_scram_credentials.h"
#include "protocol/messages/describe_user_scram_credentials.h"
#include "security/credential_store.h"
#include "security/scram_credential.h"

namespace spate::cli {

namespace {

using json = nlohmann::json;

constexpr std::int16_t scram_api_version = 0;

struct create_args {
  std::string user;
  std::string password;
  std::string mechanism = "SCRAM-SHA-256";
  int iterations = security::scram_default_iterations;
};

struct delete_args {
  std::string user;
  std::string mechanism = "SCRAM-SHA-256";
};

security::scram_mechanism mechanism_of(const std::string& what, const std::string& name) {
  const auto m = security::parse_mechanism_name(name);
  if (!m) throw command_error(what + ": unknown mechanism '" + name + "' (SCRAM-SHA-256 or SCRAM-SHA-512)");
  return *m;
}

[[noreturn]] void transport_failure(const std::string& what, const client_options& o, const std::exception& e) {
  fail(what + " " + first_broker(o), RD_KAFKA_RESP_ERR__TRANSPORT, e.what());
}

void alter(const client_options& o, const std::string& what, const std::string& user,
           const protocol::alter_user_scram_credentials_request& request) {
  protocol::alter_user_scram_credentials_response response;
  auto connection = open_connection(o, what);
  try {
    response = connection->call<protocol::alter_user_scram_credentials_response>(request, scram_api_version);
  } catch (const std::exception& e) {
    transport_failure(what, o, e);
  }
  for (const auto& r : response.results) {
    if (r.error_code != 0) {
      fail(what + " " + r.user, static_cast<rd_kafka_resp_err_t>(r.error_code), r.error_message.value_or(""));
    }
  }
  if (o.json) {
    print_text(json{{"user", user}, {"altered", true}}.dump(2) + "\n");
  } else {
    print_text((what == "user create" ? "Created: " : "Deleted: ") + user + "\n");
  }
}

void create(const client_options& o, const create_args& a) {
  const std::string what = "user create";
  const auto mechanism = mechanism_of(what, a.mechanism);
  if (a.password.empty()) throw command_error(what + ": --password must not be empty");
  const auto up = security::credential_store::upsertion_from_password(a.user, mechanism, a.password, a.iterations);
  protocol::alter_user_scram_credentials_request request;
  auto& u = request.upsertions.emplace_back();
  u.name = up.user;
  u.mechanism = up.mechanism;
  u.iterations = up.iterations;
  u.salt.assign(up.salt.begin(), up.salt.end());
  u.salted_password.assign(up.salted_password.begin(), up.salted_password.end());
  alter(o, what, a.user, request);
}

void remove(const client_options& o, const delete_args& a) {
  const std::string what = "user delete";
  protocol::alter_user_scram_credentials_request request;
  auto& d = request.deletions.emplace_back();
  d.name = a.user;
  d.mechanism = static_cast<std::int8_t>(mechanism_of(what, a.mechanism));
  alter(o, what, a.user, request);
}

void list(const client_options& o) {
  const std::string what = "user list";
  protocol::describe_user_scram_credentials_request request;
  request.users = std::nullopt;  // every user
  protocol::describe_user_scram_credentials_response response;
  auto connection = open_connection(o, what);
  try {
    response = connection->call<protocol::describe_user_scram_credentials_response>(request, scram_api_version);
  } catch (const std::exception& e) {
    transport_failure(what, o, e);
  }
  if (response.error_code != 0) {
    fail(what, static_cast<rd_kafka_resp_err_t>(response.error_code), response.error_message.value_or(""));
  }
  json users = json::array();
  table t({"USER", "MECHANISM", "ITERATIONS"});
  for (const auto& r : response.results) {
    json mechanisms = json::array();
    for (const auto& info : r.credential_infos) {
      const auto m = security::mechanism_from_code(info.mechanism);
      const std::string name = m ? std::string(security::mechanism_name(*m)) : std::to_string(info.mechanism);
      mechanisms.push_back({{"mechanism", name}, {"iterations", info.iterations}});
      t.add_row({r.user, name, std::to_string(info.iterations)});
    }
    users.push_back({{"user", r.user}, {"credentials", mechanisms}});
  }
  if (o.json) {
    print_text(json{{"users", users}}.dump(2) + "\n");
  } else if (users.empty()) {
    print_text("No SCRAM users\n");
  } else {
    print_text(t.render());
  }
}

}  // namespace

void register_user_commands(CLI::App& app) {
  auto* user = app.add_subcommand("user", "SCRAM users (SASL/SCRAM-SHA-256 and SCRAM-SHA-512 credentials)");
  user->require_subcommand(1);
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<create_args>();
    auto* cmd = add_client_command(*user, "create", "Create a user or change its password (one mechanism)", o,
                                   [o, a] { create(*o, *a); });
    cmd->add_option("name", a->user, "User name")->required();
    cmd->add_option("--password", a->password, "Password (salted and hashed here; never sent)")->required();
    cmd->add_option("--mechanism", a->mechanism, "SCRAM-SHA-256 (default) or SCRAM-SHA-512");
    cmd->add_option("--iterations", a->iterations, "PBKDF2 iterations, 4096..16384 (default 4096)");
  }
  {
    auto o = std::make_shared<client_options>();
    auto a = std::make_shared<delete_args>();
    auto* cmd = add_client_command(*user, "delete", "Delete a user's credential for one mechanism", o,
                                   [o, a] { remove(*o, *a); });
    cmd->add_option("name", a->user, "User name")->required();
    cmd->add_option("--mechanism", a->mechanism, "SCRAM-SHA-256 (default) or SCRAM-SHA-512");
  }
  {
    auto o = std::make_shared<client_options>();
    add_client_command(*user, "list", "Users with SCRAM credentials, their mechanisms and iterations", o,
                       [o] { list(*o); });
  }
}

}  // namespace spate::cli
