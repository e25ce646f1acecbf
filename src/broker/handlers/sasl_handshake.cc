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
  const auto error = ctx.session->handshake(req.mechanism, ctx.api_version, *sasl);
  resp.error_code = wire_code(error);
  if (error == protocol::error_code::unsupported_sasl_mechanism) {
    SPATE_LOG_INFO("event=sasl_unsupported_mechanism peer={} listener={} mechanism=\"{}\"", ctx.peer, ctx.listener,
                   req.mechanism);
  }
  co_return resp;
}

}  // namespace spate::broker
