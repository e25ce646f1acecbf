#include "net/coalescing_socket.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <utility>

#include "net/transfer_condition.h"

namespace spate::net {

namespace asio = boost::asio;

namespace {

// Buffers of this thread's connections that are not writing, for the next one that does: kept by
// each connection, they would cost a broker with many TLS consumers ~0.5 MB for each. All of a
// connection's operations run on its event loop's thread, so the pool needs no lock.
constexpr std::size_t idle_buffers_per_thread = 8;
thread_local std::vector<std::vector<std::uint8_t>> idle_buffers;

void give_back(std::vector<std::uint8_t>& buffer) {
  auto taken = std::exchange(buffer, {});
  if (taken.capacity() == 0 || idle_buffers.size() >= idle_buffers_per_thread) return;
  taken.clear();
  idle_buffers.push_back(std::move(taken));
}

}  // namespace

void coalescing_socket::hold_bytes(const std::uint8_t* bytes, std::size_t size) {
  if (_held.capacity() == 0 && !idle_buffers.empty()) {
    _held = std::move(idle_buffers.back());
    idle_buffers.pop_back();
  }
  _held.insert(_held.end(), bytes, bytes + size);
}

coalescing_socket::coalescing_socket(asio::ip::tcp::socket socket)
    : _socket(std::move(socket)), _drained(_socket.get_executor()) {
  // Waits park on an expiry that never comes; cancel() wakes them (setting the expiry would
  // cancel the other waiters too).
  _drained.expires_at(asio::steady_timer::time_point::max());
}

asio::awaitable<boost::system::error_code> coalescing_socket::release() {
  _holding = false;
  co_return co_await drain();
}

asio::awaitable<boost::system::error_code> coalescing_socket::drain() {
  while (_draining) {
    boost::system::error_code ignored;  // operation_aborted is the wake-up
    co_await _drained.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  _draining = true;
  boost::system::error_code ec;
  while (!_held.empty() && !ec) {
    std::swap(_held, _sending);
    co_await asio::async_write(_socket, asio::buffer(_sending), as_much_as_each_call_moves{},
                               asio::redirect_error(asio::use_awaitable, ec));
    _sending.clear();
  }
  if (ec) _held.clear();  // the connection is failing; nothing more goes out
  if (!_holding) {
    give_back(_held);
    give_back(_sending);
  }
  _draining = false;
  _drained.cancel();
  co_return ec;
}

}  // namespace spate::net
