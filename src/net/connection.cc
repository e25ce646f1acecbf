#include "net/connection.h"

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <limits>
#include <vector>

#include "base/assert.h"
#include "base/log.h"
#include "base/log_limit.h"
#include "net/framing.h"
#include "net/transfer_condition.h"

namespace spate::net::detail {

namespace asio = boost::asio;
using asio::use_awaitable;

namespace {

// Big enough that a burst of pipelined small requests is parsed from one read(2).
constexpr std::size_t read_buffer_bytes = std::size_t{32} * 1024;
// Responses gathered into one writev; Asio caps a single writev at 64 buffers anyway.
constexpr std::size_t max_write_batch = 32;
// Frame buffers kept for reuse per connection, and the largest one kept: a producer's requests
// (librdkafka's default message.max.bytes is 1 MB) reuse their buffers, while an idle connection
// holds at most a few MiB. A fresh buffer's pages are first-touched one by one (~15 us a page on
// the VMs we build on), which showed in produce profiles (bench/RESULTS.md).
constexpr std::size_t frame_pool_buffers = 4;
constexpr std::size_t frame_pool_max_bytes = std::size_t{4} << 20;
// A TLS connection decrypts what has already arrived without a trip through the event loop
// (connection::read_some); after this many bytes it takes one, so that the other connections of
// its thread get their turn (a plaintext read of a large frame takes one per system call).
constexpr std::size_t tls_read_turn_bytes = std::size_t{256} << 10;

asio::awaitable<void> wait_for_wakeup(asio::steady_timer& timer) {
  timer.expires_at(asio::steady_timer::time_point::max());
  boost::system::error_code ignored;  // operation_aborted is the wake-up
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ignored));
}

bool is_quiet_disconnect(const boost::system::error_code& ec) {
  // stream_truncated: a TLS peer closed TCP without close_notify, which most clients do.
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == asio::error::operation_aborted;
}

}  // namespace

namespace {

std::variant<asio::ip::tcp::socket, asio::ssl::stream<coalescing_socket>> make_stream(asio::ip::tcp::socket socket,
                                                                                      const tls_server_context* tls) {
  using tls_stream = asio::ssl::stream<coalescing_socket>;
  if (tls == nullptr) return std::variant<asio::ip::tcp::socket, tls_stream>(std::move(socket));
  return std::variant<asio::ip::tcp::socket, tls_stream>(std::in_place_type<tls_stream>, std::move(socket),
                                                         tls->asio_context());
}

}  // namespace

connection::connection(asio::ip::tcp::socket socket, std::uint64_t id, std::string peer, std::size_t listener_index,
                       std::string_view listener_name, std::shared_ptr<const connection_settings> settings,
                       connection_observer& observer, std::shared_ptr<const tls_server_context> tls)
    : _tls(std::move(tls)),
      _stream(make_stream(std::move(socket), _tls.get())),
      _info{id,
            std::move(peer),
            executor(),
            [this](std::chrono::milliseconds d) { mute_reads_for(d); },
            listener_index,
            listener_name,
            [this] { close_after_responses(); },
            nullptr,
            std::nullopt},
      _settings(std::move(settings)),
      _observer(observer),
      _reader_wakeup(executor()),
      _writer_wakeup(executor()),
      _grace_timer(executor()),
      _mute_timer(executor()),
      _handshake_done(_tls == nullptr) {}

asio::ip::tcp::socket& connection::socket() {
  if (auto* tls = std::get_if<tls_stream>(&_stream)) return tls->next_layer().socket();
  return std::get<asio::ip::tcp::socket>(_stream);
}

asio::any_io_executor connection::executor() { return socket().get_executor(); }

void connection::start() {
  asio::co_spawn(executor(), read_loop(shared_from_this()), asio::detached);
  asio::co_spawn(executor(), write_loop(shared_from_this()), asio::detached);
}

void connection::drain(std::chrono::milliseconds grace) {
  if (_closed || _draining) return;
  _draining = true;
  _reader_wakeup.cancel();
  _mute_timer.cancel();
  _writer_wakeup.cancel();  // the writer closes once nothing is in flight
  _grace_timer.expires_after(grace);
  _grace_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->fail(false, "reason=stop_grace_expired");
  });
}

void connection::close() {
  if (_closed) return;
  auto keep_alive = shared_from_this();  // the observer drops the registry's reference
  _closed = true;
  boost::system::error_code ignored;
  // No TLS close_notify: the peer learns from the TCP close, as with plaintext.
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
  _reader_wakeup.cancel();
  _writer_wakeup.cancel();
  _grace_timer.cancel();
  _mute_timer.cancel();
  _pending.clear();  // handlers still running find _closed set and drop their response
  _frame_pool.clear();
  _observer.connection_closed(_info.connection_id);
}

void connection::fail(bool warn, std::string_view detail) {
  if (_closed) return;
  if (warn) {
    // A client that sends garbage in a loop must not flood the log.
    SPATE_LOG_WARN_RATE_LIMITED("closing connection id={} peer={} {}", _info.connection_id, _info.peer, detail);
  } else {
    SPATE_LOG_DEBUG("closing connection id={} peer={} {}", _info.connection_id, _info.peer, detail);
  }
  close();
}

void connection::on_end_of_requests() {
  // The peer half-closed at a frame boundary: answer what was asked, then close (the writer does).
  _end_of_requests = true;
  _writer_wakeup.cancel();
}

void connection::close_after_responses() {
  _close_requested = true;
  on_end_of_requests();
  _reader_wakeup.cancel();
  _mute_timer.cancel();
}

void connection::mute_reads_for(std::chrono::milliseconds duration) {
  _muted_until = std::max(_muted_until, clock::now() + duration);
}

asio::awaitable<bool> connection::fill(std::size_t n) {
  if (_rend - _rbegin >= n) co_return true;
  if (_rbuf.empty()) _rbuf.resize(read_buffer_bytes);
  if (_rbegin > 0) {
    std::memmove(_rbuf.data(), _rbuf.data() + _rbegin, _rend - _rbegin);
    _rend -= _rbegin;
    _rbegin = 0;
  }
  while (_rend < n) {
    boost::system::error_code ec;
    const auto buffer = asio::buffer(_rbuf.data() + _rend, _rbuf.size() - _rend);
    const std::size_t got = co_await read_some(buffer, ec);
    _rend += got;
    if ((ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) && _rend == 0) co_return false;
    if (ec) throw boost::system::system_error(ec);
  }
  co_return true;
}

asio::awaitable<std::size_t> connection::read_some(asio::mutable_buffer buffer, boost::system::error_code& ec) {
  auto* tls = std::get_if<tls_stream>(&_stream);
  if (tls == nullptr) {
    co_return co_await std::get<asio::ip::tcp::socket>(_stream).async_read_some(
        buffer, asio::redirect_error(use_awaitable, ec));
  }
  if (_tls_read_since_turn < tls_read_turn_bytes) {
    // Safe beside the write loop: it writes under the socket's hold, whose writes are copied at
    // once, so no write of it still uses the TLS stream's output buffer that this read may fill.
    const std::size_t n = tls->read_some(buffer, ec);
    if (tls->next_layer().unsent_outside_hold()) {
      const auto flushed = co_await tls->next_layer().flush();
      if (flushed && (!ec || ec == asio::error::would_block)) ec = flushed;
    }
    if (ec != asio::error::would_block) {
      _tls_read_since_turn += n;
      co_return n;
    }
    ec = {};
  }
  _tls_read_since_turn = 0;
  co_return co_await tls->async_read_some(buffer, asio::redirect_error(use_awaitable, ec));
}

asio::awaitable<void> connection::read_exactly(asio::mutable_buffer buffer) {
  if (auto* socket = std::get_if<asio::ip::tcp::socket>(&_stream)) {
    co_await asio::async_read(*socket, buffer, as_much_as_each_call_moves{}, use_awaitable);
    co_return;
  }
  while (buffer.size() > 0) {
    boost::system::error_code ec;
    const std::size_t n = co_await read_some(buffer, ec);
    if (ec) throw boost::system::system_error(ec);
    buffer += n;
  }
}

asio::awaitable<void> connection::read_loop(std::shared_ptr<connection> /*self*/) {
  const connection_settings& settings = *_settings;
  if (auto* tls = std::get_if<tls_stream>(&_stream)) {
    if (!co_await handshake(*tls)) co_return;
  }
  try {
    for (;;) {
      // Backpressure: with max_in_flight requests outstanding, stop reading; TCP does the rest.
      while (!reading_stopped() && in_flight() >= settings.max_in_flight) {
        co_await wait_for_wakeup(_reader_wakeup);
      }
      if (reading_stopped()) co_return;

      if (!co_await fill(frame_header_bytes)) {
        on_end_of_requests();
        co_return;
      }
      if (reading_stopped()) co_return;
      const auto size = base::load_be<std::uint32_t>(_rbuf.data() + _rbegin);
      _rbegin += frame_header_bytes;
      switch (check_frame_size(size, settings.max_frame_bytes)) {
        case frame_size_verdict::ok: break;
        case frame_size_verdict::invalid:
          fail(true, fmt::format("reason=invalid_frame_size size={}", static_cast<std::int32_t>(size)));
          co_return;
        case frame_size_verdict::too_large:
          fail(true, fmt::format("reason=frame_too_large size={} max={}", size, settings.max_frame_bytes));
          co_return;
      }

      frame_buffer frame = take_frame_buffer(size);
      const std::size_t buffered = std::min<std::size_t>(_rend - _rbegin, size);
      std::memcpy(frame.data(), _rbuf.data() + _rbegin, buffered);
      _rbegin += buffered;
      if (buffered < size) co_await read_exactly(asio::buffer(frame.data() + buffered, size - buffered));
      // Throttled by a quota: a request read while the connection is muted waits for the mute to
      // end (checked here, after the read, as the mute may have started while the read waited).
      while (!reading_stopped() && clock::now() < _muted_until) {
        _mute_timer.expires_at(_muted_until);
        boost::system::error_code ignored;  // operation_aborted: closing or draining
        co_await _mute_timer.async_wait(asio::redirect_error(use_awaitable, ignored));
      }
      if (reading_stopped()) co_return;
      dispatch(std::move(frame));
    }
  } catch (const boost::system::system_error& e) {
    // EOF inside a frame, reset, or our own close() cancelling the read.
    if (!_closed) {
      fail(!is_quiet_disconnect(e.code()), fmt::format("reason=read_error error=\"{}\"", e.code().message()));
    }
  }
}

asio::awaitable<bool> connection::handshake(tls_stream& tls) {
  // On expiry the socket is closed, which ends the handshake with operation_aborted.
  asio::steady_timer deadline(executor(), _settings->tls_handshake_timeout);
  bool timed_out = false;
  deadline.async_wait([self = shared_from_this(), &timed_out](const boost::system::error_code& ec) {
    if (ec || self->_handshake_done || self->_closed) return;
    timed_out = true;
    boost::system::error_code ignored;
    self->socket().close(ignored);
  });
  boost::system::error_code ec;
  co_await tls.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
  _handshake_done = true;
  deadline.cancel();
  if (_closed) co_return false;  // server stopping
  if (ec || timed_out) {
    // A plaintext client on a TLS port, an untrusted or expired client certificate, no common
    // protocol: one line, then the connection closes at once.
    const auto reason =
        timed_out ? std::string("timed out") : handshake_failure_reason(tls.native_handle(), ec.message());
    SPATE_LOG_WARN_RATE_LIMITED("tls handshake failed id={} peer={} listener={} reason=\"{}\"", _info.connection_id,
                                _info.peer, _info.listener, reason);
    _observer.tls_handshake_failed();
    close();
    co_return false;
  }
  _info.peer_certificate_subject = verified_peer_subject(tls.native_handle());
  SPATE_LOG_DEBUG("tls handshake done id={} peer={} protocol={} cipher={} client_subject=\"{}\"", _info.connection_id,
                  _info.peer, SSL_get_version(tls.native_handle()), SSL_get_cipher_name(tls.native_handle()),
                  _info.peer_certificate_subject.value_or(""));
  co_return true;
}

void connection::dispatch(frame_buffer frame) {
  const std::uint64_t seq = _next_seq++;
  slot& s = _pending.emplace_back();
  if (_settings->observer != nullptr) {
    s.timing.read_at = clock::now();
    if (frame.size() >= 4) s.timing.frame_prefix = base::load_be<std::uint32_t>(frame.data());
  }
  asio::co_spawn(executor(), run_handler(shared_from_this(), seq, std::move(frame)), asio::detached);
}

frame_buffer connection::take_frame_buffer(std::size_t size) {
  // Small requests (metadata, heartbeats, commits) are cheap to allocate and must not take the
  // large buffers the connection's produce requests reuse.
  if (size <= read_buffer_bytes || _frame_pool.empty()) return frame_buffer(size);
  auto largest = std::max_element(_frame_pool.begin(), _frame_pool.end(),
                                  [](const auto& a, const auto& b) { return a.capacity() < b.capacity(); });
  frame_buffer frame = std::move(*largest);
  _frame_pool.erase(largest);
  frame.reset_for_overwrite(size);
  return frame;
}

void connection::recycle_frame_buffer(frame_buffer frame) {
  if (_closed || frame.capacity() <= read_buffer_bytes || frame.capacity() > frame_pool_max_bytes ||
      _frame_pool.size() >= frame_pool_buffers)
    return;
  _frame_pool.push_back(std::move(frame));
}

asio::awaitable<void> connection::run_handler(std::shared_ptr<connection> self, std::uint64_t seq, frame_buffer frame) {
  std::optional<base::spliced_buffer> response;
  bool failed = false;
  std::string error;
  const bool timed = self->_settings->observer != nullptr;
  const auto started_at = timed ? clock::now() : clock::time_point{};
  try {
    response = co_await self->_settings->handler(self->_info, frame.bytes());
  } catch (const std::exception& e) {
    failed = true;
    error = e.what();
  } catch (...) {
    failed = true;
    error = "unknown exception";
  }
  // Invariant: the handler has completed, so nothing refers to the frame any more.
  self->recycle_frame_buffer(std::move(frame));
  if (failed) {
    self->fail(true, fmt::format("reason=handler_error error=\"{}\"", error));
    co_return;
  }
  self->complete(seq, std::move(response), started_at, timed ? clock::now() : clock::time_point{});
}

void connection::complete(std::uint64_t seq, std::optional<base::spliced_buffer> response, clock::time_point started_at,
                          clock::time_point done_at) {
  if (_closed) return;
  // Invariant: a request's slot stays in _pending until its handler has completed.
  SPATE_ASSERT(seq >= _head_seq && seq - _head_seq < _pending.size(), "response for unknown request");
  slot& s = _pending[seq - _head_seq];
  s.done = true;
  s.response = std::move(response);
  s.timing.started_at = started_at;
  s.timing.done_at = done_at;
  if (seq == _head_seq) _writer_wakeup.cancel();
}

asio::awaitable<void> connection::write_loop(std::shared_ptr<connection> /*self*/) {
  std::vector<base::spliced_buffer> batch;
  std::vector<std::array<std::uint8_t, frame_header_bytes>> prefixes;
  std::vector<asio::const_buffer> buffers;
  std::vector<slot_timing> timings;
  batch.reserve(max_write_batch);
  timings.reserve(max_write_batch);
  prefixes.reserve(max_write_batch);
  buffers.reserve(4 * max_write_batch);
  try {
    for (;;) {
      while (!_closed && (_pending.empty() || !_pending.front().done)) {
        if (_pending.empty() && (_draining || _end_of_requests)) {
          fail(false, _draining          ? "reason=server_stopping"
                      : _close_requested ? "reason=closed_by_handler"
                                         : "reason=peer_closed");
          co_return;
        }
        co_await wait_for_wakeup(_writer_wakeup);
      }
      if (_closed) co_return;

      // Take the completed prefix of the queue, in request order.
      batch.clear();
      timings.clear();
      while (!_pending.empty() && _pending.front().done && timings.size() < max_write_batch) {
        slot& front = _pending.front();
        if (front.response) batch.push_back(std::move(*front.response));
        timings.push_back(front.timing);
        _pending.pop_front();
        ++_head_seq;
        ++_writing;
      }
      if (!batch.empty()) {
        prefixes.resize(batch.size());
        buffers.clear();
        for (std::size_t i = 0; i < batch.size(); ++i) {
          const std::size_t size = batch[i].size();
          if (size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
            fail(true, fmt::format("reason=response_too_large size={}", size));
            co_return;
          }
          base::store_be<std::uint32_t>(prefixes[i].data(), static_cast<std::uint32_t>(size));
          buffers.emplace_back(asio::buffer(prefixes[i]));
          batch[i].for_each_piece(
              [&buffers](base::byte_span piece) { buffers.emplace_back(piece.data(), piece.size()); });
        }
        // Scatter/gather: size prefixes, payloads and their spliced records (a fetch's read buffers)
        // go out in one gather write without copying (Asio splits it at 64 pieces per writev).
        auto* tls = std::get_if<tls_stream>(&_stream);
        if (tls != nullptr) tls->next_layer().hold();  // many TLS records per system call
        co_await std::visit(
            [&](auto& stream) {
              return asio::async_write(stream, buffers, as_much_as_each_call_moves{}, use_awaitable);
            },
            _stream);
        if (tls != nullptr) {
          if (const auto ec = co_await tls->next_layer().release()) throw boost::system::system_error(ec);
        }
        batch.clear();  // releases the spliced pieces' owners now, not at the next response
      }
      _writing = 0;
      report_written(timings);
      _reader_wakeup.cancel();
    }
  } catch (const boost::system::system_error& e) {
    if (!_closed) {
      fail(!is_quiet_disconnect(e.code()), fmt::format("reason=write_error error=\"{}\"", e.code().message()));
    }
  }
}

void connection::report_written(std::span<const slot_timing> written) {
  request_observer* observer = _settings->observer;
  if (observer == nullptr || written.empty()) return;
  const auto now = clock::now();
  for (const auto& t : written) {
    observer->request_completed({t.frame_prefix, t.started_at - t.read_at, t.done_at - t.started_at, now - t.done_at});
  }
}

}  // namespace spate::net::detail
