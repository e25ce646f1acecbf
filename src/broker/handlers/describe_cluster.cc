#include "broker/handlers/describe_cluster.h"

#include <fmt/format.h>

#include "broker/authorized_operations.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"

namespace spate::broker {
namespace {

// DescribeClusterRequest.endpoint_type values (KIP-919).
constexpr std::int8_t endpoint_type_brokers = 1;
constexpr std::int8_t endpoint_type_controllers = 2;

}  // namespace

boost::asio::awaitable<describe_cluster_handler::response> describe_cluster_handler::handle(request_context& ctx,
                                                                                            request req) {
  const auto& options = ctx.services.options();
  response resp;
  resp.endpoint_type = req.endpoint_type;
  // Kafka's AuthHelper.computeDescribeClusterResponse: CONTROLLER (2) is a mismatch on a broker's
  // listener, anything else unknown. (v0 has no endpoint_type field: always brokers.)
  if (req.endpoint_type == endpoint_type_controllers) {
    resp.error_code = wire_code(protocol::error_code::mismatched_endpoint_type);
    resp.error_message = "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type "
                         "CONTROLLER";
    co_return resp;
  }
  if (req.endpoint_type != endpoint_type_brokers) {
    resp.error_code = wire_code(protocol::error_code::unsupported_endpoint_type);
    resp.error_message = fmt::format("Unsupported endpoint type {}", static_cast<int>(req.endpoint_type));
    co_return resp;
  }
  resp.cluster_id = options.cluster_id;
  resp.controller_id = options.node_id;
  auto& self = resp.brokers.emplace_back();
  self.broker_id = options.node_id;
  const auto [advertised_host, advertised_port] = advertised_address(options, ctx.listener);
  self.host = std::string(advertised_host);
  self.port = advertised_port;
  self.rack = std::nullopt;
  // Kafka's AuthHelper.computeDescribeClusterResponse checks nothing else: the brokers' addresses
  // are what Metadata tells every client too.
  resp.cluster_authorized_operations =
      req.include_cluster_authorized_operations
          ? authorized_operations(ctx, security::resource_type::cluster, security::cluster_resource_name)
          : authorized_operations_omitted;
  co_return resp;
}

}  // namespace spate::broker
