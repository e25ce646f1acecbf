#include "broker/handlers/sasl_authenticate.h"

#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/sasl_session.h"
#include "broker/sasl_step.h"

namespace spate::broker {

boost::asio::awaitable<sasl_authenticate_handler::response> sasl_authenticate_handler::handle(request_context& ctx,
                                                                                              request req) {
  response resp;
  resp.error_message = std::nullopt;
  if (ctx.session == nullptr || ctx.session->authenticated()) {
    // Kafka (KafkaApis): no SASL on this listener, or already authenticated (a re-authentication
    // starts with SaslHandshake).
    resp.error_code = wire_code(protocol::error_code::illegal_sasl_state);
    resp.error_message = "SaslAuthenticate request received after successful authentication";
    co_return resp;
  }
  const std::string_view token(reinterpret_cast<const char*>(req.auth_bytes.data()), req.auth_bytes.size());
  auto result = co_await sasl_step(ctx, *ctx.session, token, ctx.api_version >= 1);
  resp.error_code = wire_code(result.error);
  if (result.error != protocol::error_code::none) {
    resp.error_message = std::move(result.message);
    co_return resp;
  }
  resp.auth_bytes.assign(result.token.begin(), result.token.end());
  resp.session_lifetime_ms = result.session_lifetime_ms;
  co_return resp;
}

}  // namespace spate::broker
