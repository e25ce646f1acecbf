#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/delete_topics.h"

namespace spate::broker {

// DeleteTopics: by name (v0-v5: topic_names; v6: topics[] by name or by topic id). The removal is
// committed to the topic metadata before the answer; partition directories are removed in the
// background, as Kafka does.
struct delete_topics_handler {
  using request = protocol::delete_topics_request;
  using response = protocol::delete_topics_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
