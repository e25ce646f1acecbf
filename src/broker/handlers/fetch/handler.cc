// Fetch: decode (by the adapter), open the session, resolve and read the partitions, wait for
// min_bytes, settle the session, assemble the response. The steps live beside this file.
#include "broker/handlers/fetch.h"

#include <vector>

#include "broker/error_mapping.h"
#include "broker/handlers/fetch/long_poll.h"
#include "broker/handlers/fetch/partition_reads.h"
#include "broker/handlers/fetch/positions.h"
#include "broker/handlers/fetch/response.h"
#include "broker/handlers/fetch/session.h"
#include "broker/throttle.h"

namespace spate::broker {
namespace {

// KIP-219: Fetch v8+ clients back off by throttle_time_ms themselves.
constexpr std::int16_t first_self_throttling_version = 8;

}  // namespace

boost::asio::awaitable<fetch_handler::response> fetch_handler::handle(request_context& ctx, request req) {
  auto& services = ctx.services;
  const auto version = ctx.api_version;
  const bool uses_topic_ids = version >= 13;
  response resp;

  const auto session = fetch::open_session(services, req, version);
  if (session.error != protocol::error_code::none) {
    resp.error_code = wire_code(session.error);
    co_return resp;
  }

  const auto targets = fetch::resolve(services, session.partitions, uses_topic_ids);
  fetch::note_positions(ctx, req, targets);
  std::vector<fetch::partition_data> parts;
  const auto totals = fetch::read_all(targets, req, version, parts);
  if (fetch::should_wait(req, targets, totals)) co_await fetch::wait_for_min_bytes(ctx, targets, req, parts);

  if (ctx.metrics) fetch::count_traffic(targets, parts);
  auto answer = fetch::close_session(services, session, targets, parts, uses_topic_ids);
  resp.session_id = answer.session_id;
  fetch::add_partitions(targets, answer.include, parts, uses_topic_ids, resp);
  // Client quotas: the bytes sent count towards consumer_byte_rate (KIP-219: v8+ clients back off
  // themselves while the connection is muted; older ones get their response late).
  std::size_t bytes = 0;
  for (const auto& topic : resp.responses) {
    for (const auto& p : topic.partitions) bytes += p.records ? p.records->size() : 0;
  }
  const auto throttle_ms =
      record_client_quota(ctx, quota::client_quota_key::consumer_byte_rate, static_cast<double>(bytes));
  resp.throttle_time_ms = static_cast<std::int32_t>(throttle_ms);
  co_await apply_throttle(ctx, throttle_ms, first_self_throttling_version);
  co_return resp;
}

}  // namespace spate::broker
