#include "broker/sasl_step.h"

#include <chrono>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "base/log_limit.h"
#include "broker/broker.h"
#include "broker/sasl_authenticator.h"

namespace spate::broker {

std::int64_t sasl_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

boost::asio::awaitable<sasl_session::step_result> sasl_step(request_context& ctx, sasl_session& session,
                                                            std::string_view token, bool can_reauthenticate) {
  const sasl_session::completion_terms terms{sasl_clock_ms(), ctx.services.options().sasl_session_lifetime_ms,
                                             can_reauthenticate};
  auto result = session.authenticate(token, terms);
  sasl_authenticator* sasl = ctx.services.options().sasl;
  if (session.authenticated()) {
    if (sasl != nullptr) result.reauthenticated ? sasl->record_reauthentication() : sasl->record_success();
    SPATE_LOG_INFO("event={} peer={} listener={} mechanism={} principal={} session_lifetime_ms={}",
                   result.reauthenticated ? "sasl_reauthenticated" : "sasl_authenticated", ctx.peer, ctx.listener,
                   session.mechanism(), session.principal(), result.session_lifetime_ms);
    co_return result;
  }
  if (result.error == protocol::error_code::sasl_authentication_failed) {
    // Rate limiting: a failure is answered late, later for a peer that keeps failing.
    const auto delay = sasl != nullptr ? sasl->record_failure(peer_ip(ctx.peer), std::chrono::steady_clock::now())
                                       : std::chrono::milliseconds(0);
    SPATE_LOG_WARN_RATE_LIMITED(
        "event=sasl_authentication_failed peer={} listener={} mechanism={} reason=\"{}\" delay_ms={}", ctx.peer,
        ctx.listener, session.mechanism(), result.failure_reason, delay.count());
    if (delay.count() > 0) {
      boost::asio::steady_timer timer(ctx.executor, delay);
      boost::system::error_code ignored;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
  }
  if (result.error != protocol::error_code::none && ctx.close_after_responses != nullptr) {
    (*ctx.close_after_responses)();
  }
  co_return result;
}

}  // namespace spate::broker
