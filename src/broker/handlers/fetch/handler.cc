// Fetch: decode (by the adapter), open the session, resolve and read the partitions, wait for
// min_bytes, settle the session, assemble the response. The steps live beside this file.
#include "broker/handlers/fetch.h"

#include <vector>

#include "broker/authorization.h"
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

// Kafka's KafkaApis.handleFetchRequest: a follower needs CLUSTER_ACTION on the cluster, a consumer
// READ on each topic; the others' partitions answer TOPIC_AUTHORIZATION_FAILED (whether the topic
// exists or not) and are not read.
void deny_unauthorized(const request_context& ctx, const fetch_handler::request& req,
                       std::vector<fetch::target>& targets) {
  using security::acl_operation;
  using security::resource_type;
  const auto replica_id = ctx.api_version >= 15 ? req.replica_state.replica_id : req.replica_id;
  const bool follower_denied = replica_id >= 0 && !authorized(ctx, acl_operation::cluster_action,
                                                              resource_type::cluster, security::cluster_resource_name);
  const std::string* last_topic = nullptr;
  bool last_allowed = true;
  for (auto& t : targets) {
    if (t.topic.empty()) continue;  // an unknown topic id stays UNKNOWN_TOPIC_ID
    if (last_topic == nullptr || *last_topic != t.topic) {
      last_topic = &t.topic;
      last_allowed =
          !follower_denied && (replica_id >= 0 || authorized(ctx, acl_operation::read, resource_type::topic, t.topic));
    }
    if (!last_allowed) t.error = protocol::error_code::topic_authorization_failed;
  }
}

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

  auto targets = fetch::resolve(services, session.partitions, uses_topic_ids);
  deny_unauthorized(ctx, req, targets);
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
