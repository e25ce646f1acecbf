#include "broker/handlers/describe_user_scram_credentials.h"

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "security/credential_store.h"

namespace spate::broker {

boost::asio::awaitable<describe_user_scram_credentials_handler::response>
describe_user_scram_credentials_handler::handle(request_context& ctx, request req) {
  response resp;
  resp.error_message = std::nullopt;
  const auto* store = ctx.services.options().credentials;
  std::optional<std::vector<std::string>> users;
  if (req.users) {
    users.emplace();
    for (auto& u : *req.users) users->push_back(std::move(u.name));
  }
  // Kafka: DESCRIBE on the cluster.
  if (!authorized(ctx, security::acl_operation::describe, security::resource_type::cluster,
                  security::cluster_resource_name)) {
    resp.error_code = wire_code(protocol::error_code::cluster_authorization_failed);
    resp.error_message = "Cluster authorization failed.";
    co_return resp;
  }
  if (store == nullptr) {
    resp.error_code = wire_code(protocol::error_code::unknown_server_error);
    resp.error_message = "SCRAM credentials are not available on this broker";
    co_return resp;
  }
  // A read of the store's immutable snapshot: no I/O, fine on the event loop.
  for (auto& described : store->describe(users)) {
    auto& out = resp.results.emplace_back();
    out.user = std::move(described.user);
    out.error_message = std::nullopt;
    if (described.error) {
      out.error_code = wire_code(to_wire(described.error->code));
      out.error_message = std::move(described.error->message);
      continue;
    }
    for (const auto& [mechanism, iterations] : described.credentials) {
      auto& info = out.credential_infos.emplace_back();
      info.mechanism = static_cast<std::int8_t>(mechanism);
      info.iterations = iterations;
    }
  }
  co_return resp;
}

}  // namespace spate::broker
