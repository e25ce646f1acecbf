#include "broker/handlers/alter_user_scram_credentials.h"

#include <algorithm>

#include "base/log.h"
#include "broker/async.h"
#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "security/credential_store.h"

namespace spate::broker {
namespace {

// Kafka: ALTER on the cluster. Without an authorizer spate still keeps credentials to the
// operator's PLAINTEXT listener and super users, rather than let every SASL user rewrite them.
bool may_alter_credentials(const request_context& ctx) {
  if (ctx.services.options().authorizer != nullptr) {
    return authorized(ctx, security::acl_operation::alter, security::resource_type::cluster,
                      security::cluster_resource_name);
  }
  if (ctx.session == nullptr) return true;
  const auto& supers = ctx.services.options().super_users;
  return std::find(supers.begin(), supers.end(), ctx.principal) != supers.end();
}

}  // namespace

boost::asio::awaitable<alter_user_scram_credentials_handler::response> alter_user_scram_credentials_handler::handle(
    request_context& ctx, request req) {
  response resp;
  std::vector<security::credential_store::deletion> deletions;
  std::vector<security::credential_store::upsertion> upsertions;
  std::vector<std::string> users;  // in order of first appearance, for whole-request errors
  const auto note = [&users](const std::string& user) {
    if (std::find(users.begin(), users.end(), user) == users.end()) users.push_back(user);
  };
  for (auto& d : req.deletions) {
    note(d.name);
    deletions.push_back({std::move(d.name), d.mechanism});
  }
  for (auto& u : req.upsertions) {
    note(u.name);
    upsertions.push_back({std::move(u.name), u.mechanism, u.iterations, std::string(u.salt.begin(), u.salt.end()),
                          std::string(u.salted_password.begin(), u.salted_password.end())});
  }
  const auto fail_all = [&](protocol::error_code code, std::string message) {
    for (const auto& user : users) {
      auto& out = resp.results.emplace_back();
      out.user = user;
      out.error_code = wire_code(code);
      out.error_message = message;
    }
  };
  auto* store = ctx.services.options().credentials;
  if (!may_alter_credentials(ctx)) {
    fail_all(protocol::error_code::cluster_authorization_failed, "Cluster authorization failed.");
    co_return resp;
  }
  if (store == nullptr) {
    fail_all(protocol::error_code::unknown_server_error, "SCRAM credentials are not available on this broker");
    co_return resp;
  }
  // On the blocking pool: the store writes and syncs scram_credentials.json.
  auto altered = co_await run_blocking(
      ctx.services.pool(), [store, &deletions, &upsertions] { return store->alter(deletions, upsertions); });
  if (!altered) {
    SPATE_LOG_ERROR("event=scram_credentials_write_failed error=\"{}\"", altered.error().message);
    fail_all(protocol::error_code::kafka_storage_error, "the SCRAM credentials could not be written");
    co_return resp;
  }
  for (auto& r : altered.value()) {
    auto& out = resp.results.emplace_back();
    out.user = std::move(r.user);
    out.error_message = std::nullopt;
    if (r.error) {
      out.error_code = wire_code(to_wire(r.error->code));
      out.error_message = std::move(r.error->message);
    } else {
      SPATE_LOG_INFO("event=scram_credentials_altered user={} by={} peer={}", out.user, ctx.principal, ctx.peer);
    }
  }
  co_return resp;
}

}  // namespace spate::broker
