#pragma once
// Throttling a client (the disk quota, client quotas): how long, and how it is carried out.
// KIP-219: from the version where the client backs off by itself (Produce v6, Fetch v8), the
// response goes out at once with throttle_time_ms and the broker mutes the connection meanwhile;
// older clients' responses are held back for that long instead.
#include <chrono>
#include <cstdint>
#include <string_view>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "quota/client_quotas.h"

namespace spate::broker {

// A monotonic millisecond clock for quota rates.
std::int64_t quota_now_ms();

// The client's id as quotas see it (empty when the header has none).
// The user entity of the request's client quota: the authenticated user, ANONYMOUS on a PLAINTEXT
// listener.
std::string_view quota_user(const request_context& ctx);
std::string_view quota_client_id(const request_context& ctx);

// Records `amount` under `key` for this request's client and returns its throttle (0: none, or
// no client quotas on this broker).
std::int64_t record_client_quota(request_context& ctx, quota::client_quota_key key, double amount);

// Holds the request while its client is over its quota for `key`: requests a client pipelined
// before its connection was muted would otherwise all pass at once (Kafka handles one request of a
// connection at a time). Nothing without client quotas. Record the request's amount right after,
// without an await in between, so that the next held request sees it.
boost::asio::awaitable<void> hold_while_over_quota(request_context& ctx, quota::client_quota_key key);

// KIP-599 for one CreateTopics, CreatePartitions or DeleteTopics request: partitions created or
// deleted count towards controller_mutation_rate. From the API's strict version a mutation is
// refused (THROTTLING_QUOTA_EXCEEDED) while the client is over its rate; older versions are only
// throttled.
class mutation_quota {
 public:
  mutation_quota(request_context& ctx, std::int16_t first_strict_version)
      : _ctx(ctx), _strict(ctx.api_version >= first_strict_version) {}
  // Before a mutation: whether to refuse it.
  bool refuse();
  // After a mutation of `partitions` partitions.
  void record(std::int32_t partitions);
  std::int64_t throttle_ms() const { return _throttle_ms; }

 private:
  request_context& _ctx;
  const bool _strict;
  std::int64_t _throttle_ms = 0;
};

// Mutes the connection for `throttle_ms` when the request's version is at least
// `first_muting_version` (and the transport can), else waits that long before the response is
// sent. Nothing for 0.
boost::asio::awaitable<void> apply_throttle(request_context& ctx, std::int64_t throttle_ms,
                                            std::int16_t first_muting_version);

}  // namespace spate::broker
