#include "broker/handlers/sasl_handshake.h"

#include "base/log.h"
#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/sasl_authenticator.h"
#include "broker/sasl_session.h"

namespace spate::broker {

boost::asio::awaitable<sasl_handshake_handler::response> sasl_handshake_handler::handle(request_context& ctx,
                                                                                        request req) {
  response resp;
  const sasl_authenticator* sasl = ctx.services.options().sasl;
  if (sasl != nullptr) resp.mechanisms = sasl->mechanisms();
  if (ctx.session == nullptr || sasl == nullptr) {
    // Kafka (KafkaApis) on a listener without SASL.
    resp.error_code = wire_code(protocol::error_code::illegal_sasl_state);
    co_return resp;
  }
  const auto previous_mechanism = ctx.session->mechanism();
  const auto error = ctx.session->handshake(req.mechanism, ctx.api_version, *sasl);
  resp.error_code = wire_code(error);
  if (ctx.session->current() == sasl_session::state::failed) {
    // A re-authentication may not change mechanism (Kafka closes the connection).
    SPATE_LOG_WARN(
        "event=sasl_reauthentication_failed peer={} listener={} principal={} reason=\"mechanism changed "
        "from {} to {}\"",
        ctx.peer, ctx.listener, ctx.session->principal(), previous_mechanism, req.mechanism);
    if (ctx.close_after_responses != nullptr) (*ctx.close_after_responses)();
    co_return resp;
  }
  if (error == protocol::error_code::unsupported_sasl_mechanism) {
    SPATE_LOG_INFO("event=sasl_unsupported_mechanism peer={} listener={} mechanism=\"{}\"", ctx.peer, ctx.listener,
                   req.mechanism);
  }
  co_return resp;
}

}  // namespace spate::broker
