#include "broker/dispatcher.h"

#include <chrono>

#include <fmt/format.h>

#include "broker/api_table.h"
#include "broker/broker.h"
#include "broker/handlers/api_versions.h"
#include "broker/throttle.h"

namespace spate::broker {
namespace {

// Requests whose handling time is mostly waiting (long polls, rebalances, fsync), which Kafka's
// request quota does not count (it measures thread time); their clients are held to byte rates.
bool parks_by_design(protocol::api_key key) {
  using protocol::api_key;
  return key == api_key::produce || key == api_key::fetch || key == api_key::join_group || key == api_key::sync_group;
}

}  // namespace

boost::asio::awaitable<response_frame> dispatcher::handle(
    base::byte_buffer frame, std::string_view peer, boost::asio::any_io_executor executor,
    const std::function<void(std::chrono::milliseconds)>* mute_reads_for) {
  co_return co_await handle(base::byte_span(frame), peer, std::move(executor), mute_reads_for);
}

boost::asio::awaitable<response_frame> dispatcher::handle(
    base::byte_span frame, std::string_view peer, boost::asio::any_io_executor executor,
    const std::function<void(std::chrono::milliseconds)>* mute_reads_for) {
  co_return co_await handle(frame, connection_facts{peer, std::move(executor), mute_reads_for, {}});
}

boost::asio::awaitable<response_frame> dispatcher::handle(base::byte_span frame, connection_facts connection) {
  // api_key, api_version and correlation_id lead every request header version.
  if (frame.size() < 8) throw request_rejected(fmt::format("request of {} bytes is shorter than a header", frame.size()));
  const auto key = base::load_be<std::int16_t>(frame.data());
  const auto version = base::load_be<std::int16_t>(frame.data() + 2);
  const auto* api = find_served_api(key);
  if (api == nullptr) throw request_rejected(fmt::format("unknown api_key={}", key));
  if (version < api->min_version || version > api->max_version) {
    if (api->key == protocol::api_key::api_versions && version > api->max_version) {
      co_return api_versions_handler::unsupported_version_frame(base::load_be<std::int32_t>(frame.data() + 4));
    }
    throw request_rejected(fmt::format("unsupported version api={} version={}", protocol::api_name(api->key), version));
  }

  protocol::reader reader(frame);
  protocol::request_header header;
  header.decode(reader, protocol::request_header_version(api->key, version));
  request_context ctx{_services,
                      header,
                      version,
                      connection.peer,
                      std::move(connection.executor),
                      _services.options().metrics,
                      connection.mute_reads_for,
                      connection.listener};
  const auto started = std::chrono::steady_clock::now();
  auto response = co_await api->invoke(ctx, reader);
  if (_services.options().client_quotas != nullptr && !parks_by_design(api->key)) {
    // request_percentage: handling time in percent-seconds (1 s of handling = 100).
    const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
    const auto throttle = record_client_quota(ctx, quota::client_quota_key::request_percentage, elapsed.count() / 10.0);
    if (throttle > 0 && ctx.mute_reads_for != nullptr) (*ctx.mute_reads_for)(std::chrono::milliseconds(throttle));
  }
  co_return response;
}

}  // namespace spate::broker
