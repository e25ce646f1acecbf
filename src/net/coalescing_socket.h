#pragma once
// The TCP socket under a TLS stream, able to hold the stream's writes and send them together.
//
// Asio's TLS stream writes each TLS record (at most 16 KiB of data) to the layer below with its
// own system call, and each of those went through the kernel's TCP path on its own: 45 % of the
// broker's CPU in a TLS consume profile (bench/RESULTS.md, 2026-12-07). Between hold() and
// release(), writes are copied into a buffer and sent when it reaches `send_at_bytes` and at
// release(): one system call per ~256 KiB instead of per record.
//
// Writes reach this socket one at a time (the TLS stream serialises its records' writes, also those
// a read makes); release() runs beside them and drains what they add meanwhile, so every byte
// leaves in the order it was written. Outside hold()/release(), with nothing held, writes go
// straight to the socket. Once a release has sent everything the socket keeps no buffer (its
// event-loop thread keeps a few for the next connection that writes), so idle TLS connections cost
// no more memory than before. One event-loop thread, like the connection that owns it.

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <vector>

namespace spate::net {

class coalescing_socket {
 public:
  using lowest_layer_type = boost::asio::ip::tcp::socket::lowest_layer_type;
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  // Held bytes are sent once this many are held (a write may add one TLS record beyond it).
  static constexpr std::size_t send_at_bytes = std::size_t{256} << 10;

  explicit coalescing_socket(boost::asio::ip::tcp::socket socket);

  executor_type get_executor() { return _socket.get_executor(); }
  lowest_layer_type& lowest_layer() { return _socket.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return _socket.lowest_layer(); }
  boost::asio::ip::tcp::socket& socket() { return _socket; }

  // Starts holding writes.
  void hold() { _holding = true; }
  // Stops holding and sends everything held (and whatever is written meanwhile). The first error
  // of those sends, or none.
  boost::asio::awaitable<boost::system::error_code> release();
  // Bytes of buffer the socket keeps now (none outside a hold, once everything is sent).
  std::size_t buffered_capacity() const { return _held.capacity() + _sending.capacity(); }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return _socket.async_read_some(buffers, std::forward<Token>(token));
  }

  // For the TLS stream's synchronous read_some, which the connection uses to decrypt what has
  // already arrived without a trip through the event loop per TLS record: never blocks, fails
  // with would_block when the socket has nothing.
  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    if (!_socket.non_blocking()) {
      _socket.non_blocking(true, ec);
      if (ec) return 0;
    }
    return _socket.read_some(buffers, ec);
  }

  // What a synchronous TLS read writes (TLS's own messages: an alert, an answer to a key update)
  // is held, never blocking, behind whatever is held or being sent. A hold's release or a drain
  // under way sends it; otherwise the reader sends it with flush() (unsent_outside_hold()).
  template <typename ConstBuffers>
  std::size_t write_some(const ConstBuffers& data, boost::system::error_code& ec) {
    ec = {};
    return hold_all(data);
  }
  // Bytes are held that no release or drain under way will send.
  bool unsent_outside_hold() const { return !_holding && !_draining && !_held.empty(); }
  // Sends what is held (after a send under way). The first error, or none.
  boost::asio::awaitable<boost::system::error_code> flush() { return drain(); }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& data) {
          if (!_holding && !_draining && _held.empty()) {
            _socket.async_write_some(data, std::move(handler));
            return;
          }
          const std::size_t n = hold_all(data);
          if (_holding && _held.size() < send_at_bytes) {
            boost::asio::post(_socket.get_executor(),
                              [h = std::move(handler), n]() mutable { h(boost::system::error_code{}, n); });
            return;
          }
          boost::asio::co_spawn(_socket.get_executor(), drain(),
                                [h = std::move(handler), n](std::exception_ptr, boost::system::error_code ec) mutable {
                                  h(ec, ec ? 0 : n);
                                });
        },
        token, buffers);
  }

 private:
  // Sends what is held, after a send already under way; what is written meanwhile goes too.
  boost::asio::awaitable<boost::system::error_code> drain();
  // Appends to what is held (taking one of the thread's idle buffers when the socket has none).
  void hold_bytes(const std::uint8_t* bytes, std::size_t size);
  // hold_bytes() of every buffer of `data`; the bytes held.
  template <typename ConstBuffers>
  std::size_t hold_all(const ConstBuffers& data) {
    std::size_t n = 0;
    for (auto it = boost::asio::buffer_sequence_begin(data); it != boost::asio::buffer_sequence_end(data); ++it) {
      hold_bytes(static_cast<const std::uint8_t*>(it->data()), it->size());
      n += it->size();
    }
    return n;
  }

  boost::asio::ip::tcp::socket _socket;
  bool _holding = false;
  bool _draining = false;  // a drain() is sending; later writes add to _held and it sends them too
  std::vector<std::uint8_t> _held;
  std::vector<std::uint8_t> _sending;  // what drain() is sending now
  boost::asio::steady_timer _drained;  // cancelled when a drain ends: wakes the next one
};

}  // namespace spate::net
