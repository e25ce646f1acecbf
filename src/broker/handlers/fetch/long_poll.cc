#include "broker/handlers/fetch/long_poll.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/partition_waiters.h"

namespace spate::broker::fetch {
namespace {

// A parked fetch: woken by appends (through partition_waiters) or by its timer. Touched only on the
// fetch's event loop.
struct parked_fetch {
  explicit parked_fetch(const boost::asio::any_io_executor& executor) : timer(executor) {}
  boost::asio::steady_timer timer;
  bool woken = false;
};

}  // namespace

bool should_wait(const fetch_handler::request& req, const std::vector<target>& targets, const read_totals& totals) {
  return req.max_wait_ms > 0 && !targets.empty() && !totals.any_error &&
         totals.bytes < static_cast<std::size_t>(std::max(0, req.min_bytes));
}

boost::asio::awaitable<void> wait_for_min_bytes(request_context& ctx, const std::vector<target>& targets,
                                                const fetch_handler::request& req, std::vector<partition_data>& parts) {
  auto poll = std::make_shared<parked_fetch>(ctx.executor);
  std::vector<const storage::partition_log*> logs;
  for (const auto& t : targets) logs.push_back(t.log.get());
  auto wake = [weak = std::weak_ptr<parked_fetch>(poll), executor = ctx.executor] {
    boost::asio::post(executor, [weak] {
      if (auto p = weak.lock()) {
        p->woken = true;
        p->timer.cancel();
      }
    });
  };
  auto registration = ctx.services.waiters()->add(std::move(logs), std::move(wake));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(req.max_wait_ms);
  poll->timer.expires_at(deadline);
  for (;;) {
    // Read again: an append may have landed between the first read and the registration.
    const auto totals = read_all(targets, req, ctx.api_version, parts);
    if (totals.any_error || totals.bytes >= static_cast<std::size_t>(req.min_bytes) ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    if (!poll->woken) {
      boost::system::error_code ec;
      co_await poll->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    poll->woken = false;
  }
}

}  // namespace spate::broker::fetch
