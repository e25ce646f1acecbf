#include "broker/handlers/describe_client_quotas.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker/authorization.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "quota/client_quotas.h"

namespace spate::broker {
namespace {

using protocol::error_code;

// DescribeClientQuotasRequest.match_type values.
constexpr std::int8_t match_exact = 0;
constexpr std::int8_t match_default = 1;
constexpr std::int8_t match_any = 2;

void add_component(std::vector<protocol::describe_client_quotas_response::entity_data>& out, const char* type,
                   const quota::entity_component& c) {
  if (!c) return;
  auto& e = out.emplace_back();
  e.entity_type = type;
  e.entity_name = *c;  // nullopt: the default
}

}  // namespace

boost::asio::awaitable<describe_client_quotas_handler::response> describe_client_quotas_handler::handle(
    request_context& ctx, request req) {
  response resp;
  const auto fail = [&resp](std::string message, error_code code = error_code::invalid_request) {
    resp.error_code = wire_code(code);
    resp.error_message = std::move(message);
    resp.entries = std::nullopt;
  };
  // Kafka: DESCRIBE_CONFIGS on the cluster.
  if (!authorized(ctx, security::acl_operation::describe_configs, security::resource_type::cluster,
                  security::cluster_resource_name)) {
    fail("Cluster authorization failed.", error_code::cluster_authorization_failed);
    co_return resp;
  }
  std::vector<quota::entity_filter> filters;
  bool asks_for_ip = false;
  for (const auto& c : req.components) {
    if (c.entity_type != "user" && c.entity_type != "client-id" && c.entity_type != "ip") {
      fail(fmt::format("Custom entity type '{}' not supported", c.entity_type));
      co_return resp;
    }
    for (const auto& f : filters) {
      if (f.entity_type == c.entity_type) {
        fail(fmt::format("Duplicate {} filter component entity type", c.entity_type));
        co_return resp;
      }
    }
    if (c.entity_type == "ip") asks_for_ip = true;
    quota::entity_filter filter{c.entity_type};
    switch (c.match_type) {
      case match_exact:
        if (!c.match) {
          fail(fmt::format("Unexpected null match string for {} filter component", c.entity_type));
          co_return resp;
        }
        filter.how = quota::entity_filter::match::exact;
        filter.name = *c.match;
        break;
      case match_default: filter.how = quota::entity_filter::match::default_; break;
      case match_any: filter.how = quota::entity_filter::match::any; break;
      default: fail(fmt::format("Unexpected match type {}", static_cast<int>(c.match_type))); co_return resp;
    }
    filters.push_back(std::move(filter));
  }
  resp.error_message = std::nullopt;
  resp.entries.emplace();
  const auto* quotas = ctx.services.options().client_quotas;
  if (quotas == nullptr || asks_for_ip) co_return resp;  // no ip entities exist here
  for (const auto& [entity, values] : quotas->describe(filters, req.strict)) {
    auto& entry = resp.entries->emplace_back();
    add_component(entry.entity, "user", entity.user);
    add_component(entry.entity, "client-id", entity.client_id);
    for (const auto& [key, value] : values) {
      auto& v = entry.values.emplace_back();
      v.key = key;
      v.value = value;
    }
  }
  co_return resp;
}

}  // namespace spate::broker
