#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/describe_cluster.h"

namespace spate::broker {

// DescribeCluster: this broker (the whole cluster and its controller), the cluster id and, when
// asked, the cluster operations allowed (all: there is no authorizer). v1 clients may ask for the
// controllers' endpoints instead; a broker answers MISMATCHED_ENDPOINT_TYPE, as Kafka's do.
struct describe_cluster_handler {
  using request = protocol::describe_cluster_request;
  using response = protocol::describe_cluster_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
