#pragma once
// Bridges from callback-style services (storage's durability callbacks, the blocking pool) to
// handler coroutines. The callback may run on any thread; the coroutine always resumes on its
// own event loop, so handlers never touch shared state from a foreign thread.
#include <memory>
#include <type_traits>
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "io/blocking_pool.h"

namespace spate::broker {

// Calls `start(complete)`, where `complete(R)` must be called exactly once, from any thread; the
// awaiting coroutine resumes on its executor with that value. `complete` is copyable.
// Let `start` capture the awaiting frame's locals by reference (they live until the answer)
// rather than move them into the capture: with GCC 12, a lambda written inside the co_await
// expression that owned a moved-in request was freed twice.
template <typename R, typename Start>
boost::asio::awaitable<R> await_completion(Start start) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(R)>(
      [](auto handler, Start start) {
        // The work guard keeps the event loop alive while the operation runs elsewhere.
        auto executor = boost::asio::get_associated_executor(handler);
        auto pending = std::make_shared<std::pair<decltype(handler), decltype(boost::asio::make_work_guard(executor))>>(
            std::move(handler), boost::asio::make_work_guard(executor));
        start([pending](R value) {
          auto executor = pending->second.get_executor();
          boost::asio::post(executor, [pending, value = std::move(value)]() mutable {
            pending->second.reset();
            pending->first(std::move(value));
          });
        });
      },
      boost::asio::use_awaitable, std::move(start));
}

// Runs `fn` on the blocking pool (file creation, fsync, unlink) and resumes with its result.
template <typename F, typename R = std::invoke_result_t<F&>>
boost::asio::awaitable<R> run_blocking(io::blocking_pool& pool, F fn) {
  return await_completion<R>([&pool, fn = std::move(fn)](auto complete) mutable {
    pool.submit([fn = std::move(fn), complete]() mutable { complete(fn()); });
  });
}

}  // namespace spate::broker
