#include "broker/dispatcher.h"

#include <chrono>

#include <fmt/format.h>

#include "broker/api_table.h"
#include "broker/broker.h"
#include "broker/handlers/api_versions.h"
#include "broker/sasl_session.h"
#include "broker/sasl_step.h"
#include "broker/throttle.h"
#include "security/principal.h"

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
  co_return co_await handle(std::span<std::uint8_t>(frame), peer, std::move(executor), mute_reads_for);
}

boost::asio::awaitable<response_frame> dispatcher::handle(
    std::span<std::uint8_t> frame, std::string_view peer, boost::asio::any_io_executor executor,
    const std::function<void(std::chrono::milliseconds)>* mute_reads_for) {
  co_return co_await handle(frame, connection_facts{peer, std::move(executor), mute_reads_for, {}});
}

boost::asio::awaitable<response_frame> dispatcher::raw_token(base::byte_span frame,
                                                             const connection_facts& connection) {
  const protocol::request_header header;
  request_context ctx{_services,
                      header,
                      0,
                      connection.peer,
                      connection.executor,
                      _services.options().metrics,
                      connection.mute_reads_for,
                      connection.listener,
                      security::anonymous_principal,
                      connection.session,
                      connection.close_after_responses};
  const std::string_view token(reinterpret_cast<const char*>(frame.data()), frame.size());
  auto result = co_await sasl_step(ctx, *connection.session, token, false);
  // A failure cannot be told in a raw token: the connection closes (sasl_step asked it to).
  if (result.error != protocol::error_code::none) co_return std::nullopt;
  co_return base::byte_buffer(result.token.begin(), result.token.end());
}

boost::asio::awaitable<response_frame> dispatcher::handle(std::span<std::uint8_t> frame, connection_facts connection) {
  if (connection.session != nullptr && connection.session->expects_raw_token()) {
    co_return co_await raw_token(frame, connection);
  }
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
  if (connection.session != nullptr && !connection.session->allows(api->key)) {
    // Kafka: IllegalSaslStateException, and the connection is closed.
    throw request_rejected(
        fmt::format("Unexpected Kafka request of type {} during SASL handshake", protocol::api_name(api->key)));
  }
  if (connection.session != nullptr && api->key != protocol::api_key::sasl_handshake &&
      connection.session->expired(sasl_clock_ms())) {
    // KIP-368: the client did not re-authenticate in time; Kafka closes ("Disconnecting expired
    // channel") and the client reconnects.
    if (_services.options().sasl != nullptr) _services.options().sasl->record_expired_session();
    throw request_rejected(fmt::format("SASL session of {} expired (connections.max.reauth.ms) before request {}",
                                       connection.session->principal(), protocol::api_name(api->key)));
  }

  auto reader = protocol::reader::borrowing(frame);
  protocol::request_header header;
  header.decode(reader, protocol::request_header_version(api->key, version));
  // SASL's principal on a SASL listener, else the connection's own (a client certificate's), else anonymous.
  const std::string_view principal = connection.session != nullptr  ? std::string_view(connection.session->principal())
                                     : connection.principal.empty() ? security::anonymous_principal
                                                                    : connection.principal;
  request_context ctx{_services,
                      header,
                      version,
                      connection.peer,
                      std::move(connection.executor),
                      _services.options().metrics,
                      connection.mute_reads_for,
                      connection.listener,
                      principal,
                      connection.session,
                      connection.close_after_responses};
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
