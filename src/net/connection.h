#pragma once
// Internal to net/: one accepted TCP connection and its request pipeline.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "net/coalescing_socket.h"
#include "net/frame_buffer.h"
#include "net/server.h"
#include "net/tls_context.h"

namespace spate::net::detail {

// Settings every connection of a server shares; immutable after start().
struct connection_settings {
  std::size_t max_frame_bytes;
  std::size_t max_in_flight;
  std::chrono::milliseconds tls_handshake_timeout;
  frame_handler handler;
  request_observer* observer;  // may be null
};

// Told once when a connection closes, and when its TLS handshake fails (on the connection's thread).
// Implemented by the worker that owns the connection's event loop.
class connection_observer {
 public:
  virtual void connection_closed(std::uint64_t connection_id) = 0;
  virtual void tls_handshake_failed() = 0;

 protected:
  ~connection_observer() = default;
};

// One connection: a reader coroutine that parses frames and starts one handler coroutine per
// request, and a single writer coroutine that writes responses in request order.
//
//   read_loop --dispatch--> run_handler (one per request, completes in any order)
//       ^                        | complete(seq)
//       | slot freed             v
//       +------------------- write_loop (writes the done prefix of _pending, in order)
//
// Invariant: _pending holds one slot per request read but not yet handed to the writer, in request
// order; slot i belongs to sequence number _head_seq + i.
//
// Thread-safety: none. Every member is touched only on the connection's executor (one io_context
// run by one thread), including by handler completions, which resume on that executor.
// Lifetime: shared by its coroutines, pending handlers, the grace timer and the worker's registry;
// close() drops the registry's reference.
class connection : public std::enable_shared_from_this<connection> {
 public:
  // `listener_name` must outlive the connection (the server's listener table). With `tls` the
  // connection speaks TLS with that context, which it keeps for its whole life.
  connection(boost::asio::ip::tcp::socket socket, std::uint64_t id, std::string peer, std::size_t listener_index,
             std::string_view listener_name, std::shared_ptr<const connection_settings> settings,
             connection_observer& observer, std::shared_ptr<const tls_server_context> tls = nullptr);

  // Spawns the reader and writer coroutines.
  void start();
  // Server shutdown: stop reading requests, write the responses of in-flight ones, then close;
  // close regardless after `grace`.
  void drain(std::chrono::milliseconds grace);
  // Closes the socket at once; responses of handlers still running are dropped. Idempotent.
  void close();

 private:
  using clock = std::chrono::steady_clock;
  // Phase boundaries of one request, taken only when an observer is set.
  struct slot_timing {
    std::uint32_t frame_prefix = 0;
    clock::time_point read_at{};
    clock::time_point started_at{};
    clock::time_point done_at{};
  };
  struct slot {
    bool done = false;
    std::optional<base::spliced_buffer> response;
    slot_timing timing;
  };

  using tls_stream = boost::asio::ssl::stream<coalescing_socket>;

  boost::asio::awaitable<void> read_loop(std::shared_ptr<connection> self);
  // The TLS handshake, bounded by the settings' timeout. False (connection closed, one line
  // logged) when it failed.
  boost::asio::awaitable<bool> handshake(tls_stream& tls);
  boost::asio::ip::tcp::socket& socket();
  boost::asio::any_io_executor executor();
  boost::asio::awaitable<void> write_loop(std::shared_ptr<connection> self);
  static boost::asio::awaitable<void> run_handler(std::shared_ptr<connection> self, std::uint64_t seq,
                                                  frame_buffer frame);
  // A buffer of `size` bytes for the next request frame: a pooled one when there is one.
  frame_buffer take_frame_buffer(std::size_t size);
  // Gives back the frame of a request whose handler has completed (nothing refers to it now).
  void recycle_frame_buffer(frame_buffer frame);
  // Ensures at least `n` (<= read buffer size) bytes are buffered. False on EOF before any byte.
  boost::asio::awaitable<bool> fill(std::size_t n);
  // Reads what has arrived into `buffer`, at least one byte, waiting when nothing has. Over TLS,
  // decrypts what has arrived without a trip through the event loop: Asio's TLS stream takes one
  // per TLS record, and librdkafka sends ~2 KiB records (bench/RESULTS.md, 2026-12-07).
  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buffer, boost::system::error_code& ec);
  // Fills `buffer` whole; throws boost::system::system_error on a read error or EOF.
  boost::asio::awaitable<void> read_exactly(boost::asio::mutable_buffer buffer);
  void mute_reads_for(std::chrono::milliseconds duration);
  void dispatch(frame_buffer frame);
  void complete(std::uint64_t seq, std::optional<base::spliced_buffer> response, clock::time_point started_at,
                clock::time_point done_at);
  // Reports the requests whose responses were just written (or that had none).
  void report_written(std::span<const slot_timing> written);
  void on_end_of_requests();
  // connection_info::close_after_responses.
  void close_after_responses();
  // Logs "closing connection id=.. peer=.. <detail>" once (warn or debug) and closes.
  void fail(bool warn, std::string_view detail);

  std::size_t in_flight() const { return _pending.size() + _writing; }
  bool reading_stopped() const { return _closed || _draining || _end_of_requests; }

  // Declared before _stream: a TLS stream's OpenSSL state refers to its context.
  std::shared_ptr<const tls_server_context> _tls;
  // A variant rather than a virtual stream: the plaintext path pays one index test per read or
  // write, no indirect call and no TLS code.
  std::variant<boost::asio::ip::tcp::socket, tls_stream> _stream;
  connection_info _info;
  std::shared_ptr<const connection_settings> _settings;
  connection_observer& _observer;

  // Used as condition variables: waiters park on an infinite expiry, cancel() wakes them.
  boost::asio::steady_timer _reader_wakeup;
  boost::asio::steady_timer _writer_wakeup;
  boost::asio::steady_timer _grace_timer;
  // Quota throttling (connection_info::mute_reads_for): the reader waits on _mute_timer until then.
  boost::asio::steady_timer _mute_timer;
  clock::time_point _muted_until{};

  std::deque<slot> _pending;
  std::uint64_t _head_seq = 0;  // sequence number of _pending.front()
  std::uint64_t _next_seq = 0;  // sequence number of the next request read
  std::size_t _writing = 0;     // responses taken by the writer, write not yet finished

  // Reused read buffer: [_rbegin, _rend) is read but not yet parsed. Several small pipelined
  // requests arrive in one read; large payloads are read straight into their own frame buffer.
  base::byte_buffer _rbuf;
  std::size_t _rbegin = 0;
  std::size_t _rend = 0;
  std::size_t _tls_read_since_turn = 0;  // bytes read_some decrypted since the last event-loop turn

  // Frame buffers of completed requests, reused by later ones (take_frame_buffer). A buffer in
  // here is never one a running handler still reads: it arrives only after its handler completed.
  std::vector<frame_buffer> _frame_pool;

  bool _end_of_requests = false;  // peer sent EOF at a frame boundary, or the handler asked to close
  bool _close_requested = false;  // the handler asked to close after the responses
  bool _draining = false;         // server stopping
  bool _closed = false;
  bool _handshake_done = false;  // plaintext: from the start
};

}  // namespace spate::net::detail
