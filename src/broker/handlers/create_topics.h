#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/create_topics.h"

namespace spate::broker {

// CreateTopics: validates each topic as Kafka's controller does (name, partitions, replication
// factor against our single broker, manual assignments, configs via the topic-config catalogue),
// then creates it unless validate_only. v5+ answers with the topic's partitions, replication
// factor and every config; v7 with its topic id.
struct create_topics_handler {
  using request = protocol::create_topics_request;
  using response = protocol::create_topics_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 7;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
