#include "broker/throttle.h"

#include <algorithm>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/broker.h"

namespace spate::broker {

std::int64_t quota_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string_view quota_client_id(const request_context& ctx) {
  return ctx.header.client_id ? std::string_view(*ctx.header.client_id) : std::string_view();
}

std::string_view quota_user(const request_context& ctx) {
  // Quotas name users without the principal type: "User:alice" -> "alice".
  constexpr std::string_view user_prefix = "User:";
  if (ctx.principal.starts_with(user_prefix)) return ctx.principal.substr(user_prefix.size());
  return quota::anonymous_user;
}

std::int64_t record_client_quota(request_context& ctx, quota::client_quota_key key, double amount) {
  auto* quotas = ctx.services.options().client_quotas;
  if (quotas == nullptr) return 0;
  return quotas->record(key, quota_user(ctx), quota_client_id(ctx), amount, quota_now_ms());
}

boost::asio::awaitable<void> hold_while_over_quota(request_context& ctx, quota::client_quota_key key) {
  auto* quotas = ctx.services.options().client_quotas;
  if (quotas == nullptr) co_return;
  for (;;) {
    const auto over = quotas->throttle_if_over(key, quota_user(ctx), quota_client_id(ctx), quota_now_ms());
    if (over <= 0) co_return;
    boost::asio::steady_timer timer(ctx.executor, std::chrono::milliseconds(over));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

bool mutation_quota::refuse() {
  auto* quotas = _ctx.services.options().client_quotas;
  if (!_strict || quotas == nullptr) return false;
  const auto over = quotas->throttle_if_over(quota::client_quota_key::controller_mutation_rate, quota_user(_ctx),
                                             quota_client_id(_ctx), quota_now_ms());
  _throttle_ms = std::max(_throttle_ms, over);
  return over > 0;
}

void mutation_quota::record(std::int32_t partitions) {
  _throttle_ms = std::max(_throttle_ms, record_client_quota(_ctx, quota::client_quota_key::controller_mutation_rate,
                                                            static_cast<double>(partitions)));
}

boost::asio::awaitable<void> apply_throttle(request_context& ctx, std::int64_t throttle_ms,
                                            std::int16_t first_muting_version) {
  if (throttle_ms <= 0) co_return;
  const auto duration = std::chrono::milliseconds(throttle_ms);
  if (ctx.api_version >= first_muting_version && ctx.mute_reads_for != nullptr) {
    (*ctx.mute_reads_for)(duration);
    co_return;
  }
  boost::asio::steady_timer timer(ctx.executor, duration);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace spate::broker
