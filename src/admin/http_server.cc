#include "admin/http_server.h"

#include <array>
#include <atomic>
#include <map>
#include <optional>
#include <thread>
#include <type_traits>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>

#include "admin/errors.h"
#include "admin/route_table.h"
#include "base/log.h"
#include "base/log_limit.h"
#include "net/tls_context.h"

namespace spate::admin {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using tls_stream = asio::ssl::stream<tcp::socket>;
using boost::system::error_code;

namespace {

constexpr std::size_t header_limit_bytes = std::size_t{16} * 1024;
// After an error answer, how long the server keeps reading (and discarding) what the client still
// sends, so that closing does not reset the connection before the client has read the answer.
constexpr std::chrono::milliseconds drain_time{1000};

void split_target(std::string_view target, http_request& request) {
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) return;
  auto query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const auto key = percent_decode(item.substr(0, eq), true);
    request.query[key] = eq == std::string_view::npos ? std::string{} : percent_decode(item.substr(eq + 1), true);
  }
}

}  // namespace

struct http_server::impl {
  class connection;
  template <typename Stream>
  class session;

  http_server_options options;
  http_handler handler;
  std::atomic<std::uint16_t> port{0};
  std::atomic<std::size_t> open{0};
  std::thread thread;
  bool stopping = false;  // server thread only
  std::uint64_t next_session_id = 0;
  std::map<std::uint64_t, std::weak_ptr<connection>> sessions;  // server thread only
  // Declared last: destroyed first, with the coroutines (and sessions) it still holds.
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};

  impl(http_server_options o, http_handler h) : options(std::move(o)), handler(std::move(h)) {}

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> reject(tcp::socket socket);
  void start_session(tcp::socket socket);
};

// What stop() needs of a session, whatever its stream.
class http_server::impl::connection {
 public:
  virtual ~connection() = default;
  virtual void close() = 0;
};

// One connection over plain TCP (Stream = tcp::socket) or TLS (tls_stream). Lives on the server
// thread; owned by its run() coroutine.
template <typename Stream>
class http_server::impl::session : public connection, public std::enable_shared_from_this<session<Stream>> {
 public:
  session(Stream stream, std::shared_ptr<const net::tls_server_context> tls, impl& server, std::uint64_t id)
      : _tls(std::move(tls)),
        _stream(std::move(stream)),
        _timer(_stream.get_executor()),
        _server(server),
        _id(id),
        _peer(peer_address()) {
    _server.open.fetch_add(1);
  }
  ~session() override {
    _server.sessions.erase(_id);
    _server.open.fetch_sub(1);
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void close() override {
    error_code ignored;
    socket().close(ignored);
    _timer.cancel();
  }

  asio::awaitable<void> run(std::shared_ptr<session> self);

 private:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  tcp::socket& socket() { return boost::beast::get_lowest_layer(_stream); }

  // Cancels the socket's operations when `timeout` passes before disarm().
  void arm(std::chrono::milliseconds timeout) {
    _timed_out = false;
    const auto generation = ++_generation;
    _timer.expires_after(timeout);
    _timer.async_wait([weak = this->weak_from_this(), generation](const error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->_generation != generation) return;
      self->_timed_out = true;
      error_code ignored;
      self->socket().cancel(ignored);
    });
  }
  void disarm() {
    ++_generation;
    _timer.cancel();
  }

  // "ip:port" ("[ip]:port" for IPv6) of the client; empty when the socket has none.
  std::string peer_address() {
    error_code ec;
    const auto endpoint = socket().remote_endpoint(ec);
    if (ec) return {};
    const auto ip = endpoint.address().to_string();
    return endpoint.address().is_v6() ? fmt::format("[{}]:{}", ip, endpoint.port())
                                      : fmt::format("{}:{}", ip, endpoint.port());
  }
  asio::awaitable<bool> handshake();
  asio::awaitable<error_code> write(const http_response& r, bool keep_alive, unsigned version);
  asio::awaitable<void> write_error_and_close(int status, std::string_view name, std::string_view message);
  asio::awaitable<void> close_gracefully();

  // Declared before the stream: the TLS stream's SSL object refers to the context.
  const std::shared_ptr<const net::tls_server_context> _tls;
  Stream _stream;
  asio::steady_timer _timer;
  impl& _server;
  const std::uint64_t _id;
  const std::string _peer;
  std::optional<std::string> _client_subject;  // of a verified client certificate (TLS)
  std::uint64_t _generation = 0;
  bool _timed_out = false;
};

// TLS only: the handshake, within the request timeout. A failure (a plaintext client on the HTTPS
// port, an untrusted or missing client certificate) logs one line and the connection closes.
template <typename Stream>
asio::awaitable<bool> http_server::impl::session<Stream>::handshake() {
  if constexpr (is_tls) {
    error_code ec;
    arm(_server.options.request_timeout);
    co_await _stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    const bool timed_out = _timed_out;
    disarm();
    if (ec) {
      if (!_server.stopping) {
        const auto reason =
            timed_out ? std::string("timed out") : net::handshake_failure_reason(_stream.native_handle(), ec.message());
        SPATE_LOG_WARN_RATE_LIMITED("event=admin_tls_handshake_failed peer={} reason=\"{}\"", _peer, reason);
      }
      co_return false;
    }
    _client_subject = net::verified_peer_subject(_stream.native_handle());
  }
  co_return true;
}

template <typename Stream>
asio::awaitable<error_code> http_server::impl::session<Stream>::write(const http_response& r, bool keep_alive,
                                                                      unsigned version) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "spate");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  error_code ec;
  arm(_server.options.request_timeout);
  co_await http::async_write(_stream, res, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  co_return ec;
}

template <typename Stream>
asio::awaitable<void> http_server::impl::session<Stream>::close_gracefully() {
  error_code ec;
  arm(drain_time);
  if constexpr (is_tls) {
    // close_notify, so the client knows the answer is complete; OpenSSL then reads (and discards)
    // until the client's close_notify, an error or the drain time.
    co_await _stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  } else {
    socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, std::size_t{16} * 1024> discard{};
    std::size_t drained = 0;
    while (!ec && drained < 4 * _server.options.max_body_bytes) {
      drained += co_await _stream.async_read_some(asio::buffer(discard), asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  disarm();
  close();
}

template <typename Stream>
asio::awaitable<void> http_server::impl::session<Stream>::write_error_and_close(int status, std::string_view name,
                                                                                std::string_view message) {
  co_await write(error_response(status, name, message), false, 11);
  co_await close_gracefully();
}

template <typename Stream>
asio::awaitable<void> http_server::impl::session<Stream>::run(std::shared_ptr<session> self) {
  if (!co_await handshake()) {
    close();
    co_return;
  }
  boost::beast::flat_buffer buffer;
  while (!_server.stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(_server.options.max_body_bytes);
    parser.header_limit(header_limit_bytes);
    error_code ec;
    arm(_server.options.request_timeout);
    co_await http::async_read(_stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    const bool timed_out = _timed_out;
    disarm();
    if (ec) {
      if (timed_out) {
        // An idle keep-alive connection just closes; a request that did not arrive in time is 408.
        if (parser.got_some() || buffer.size() > 0) {
          co_await write_error_and_close(408, request_timeout, "the request did not arrive within the timeout");
        }
        break;
      }
      if (ec == http::error::body_limit) {
        co_await write_error_and_close(
            413, payload_too_large,
            "the request body is larger than " + std::to_string(_server.options.max_body_bytes) + " bytes");
      } else if (ec == http::error::header_limit) {
        co_await write_error_and_close(431, "HEADERS_TOO_LARGE", "the request headers are too large");
      } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
                 ec != http::error::end_of_stream && ec != http::error::partial_message) {
        co_await write_error_and_close(400, "BAD_REQUEST", "malformed HTTP request");
      }
      break;  // end of stream, reset, or answered above
    }
    auto message = parser.release();
    http_request request;
    request.method = std::string(message.method_string());
    split_target(std::string_view(message.target().data(), message.target().size()), request);
    request.body = std::move(message.body());
    if (const auto it = message.find(http::field::authorization); it != message.end()) {
      request.authorization = std::string(it->value().data(), it->value().size());
    }
    request.peer = _peer;
    request.client_certificate_subject = _client_subject;
    bool keep_alive = message.keep_alive();
    http_response response;
    try {
      response = co_await _server.handler(std::move(request));
    } catch (const std::exception& e) {
      SPATE_LOG_WARN("event=admin_request_failed error=\"{}\"", e.what());
      response = error_response(500, internal_error, e.what());
    }
    if (_server.stopping) keep_alive = false;
    if (auto written = co_await write(response, keep_alive, message.version()); written || !keep_alive) {
      if (!written) co_await close_gracefully();
      break;
    }
  }
  close();
  (void)self;
}

void http_server::impl::start_session(tcp::socket socket) {
  const auto id = next_session_id++;
  if (options.tls) {
    auto context = options.tls->current();
    tls_stream stream(std::move(socket), context->asio_context());
    auto s = std::make_shared<session<tls_stream>>(std::move(stream), std::move(context), *this, id);
    sessions[id] = s;
    asio::co_spawn(ioc, s->run(s), asio::detached);
  } else {
    auto s = std::make_shared<session<tcp::socket>>(std::move(socket), nullptr, *this, id);
    sessions[id] = s;
    asio::co_spawn(ioc, s->run(s), asio::detached);
  }
}

asio::awaitable<void> http_server::impl::reject(tcp::socket socket) {
  http::response<http::string_body> res{http::status::service_unavailable, 11};
  res.set(http::field::server, "spate");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = error_response(503, service_unavailable, "too many admin connections").body;
  res.prepare_payload();
  error_code ec;
  co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

asio::awaitable<void> http_server::impl::accept_loop() {
  while (true) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping || !acceptor.is_open()) co_return;
      SPATE_LOG_WARN("event=admin_accept_failed error=\"{}\"", ec.message());
      continue;
    }
    if (open.load() >= options.max_connections) {
      // Over HTTPS a 503 would need a handshake first: the connection just closes.
      if (options.tls) {
        socket.close(ec);
      } else {
        asio::co_spawn(ioc, reject(std::move(socket)), asio::detached);
      }
      continue;
    }
    start_session(std::move(socket));
  }
}

http_server::http_server(http_server_options options, http_handler handler)
    : _impl(std::make_unique<impl>(std::move(options), std::move(handler))) {}

http_server::~http_server() { stop(); }

void http_server::start() {
  tcp::resolver resolver(_impl->ioc);
  const auto results = resolver.resolve(_impl->options.host, std::to_string(_impl->options.port));
  const tcp::endpoint endpoint = *results.begin();
  _impl->acceptor.open(endpoint.protocol());
  _impl->acceptor.set_option(tcp::acceptor::reuse_address(true));
  _impl->acceptor.bind(endpoint);
  _impl->acceptor.listen();
  _impl->port = _impl->acceptor.local_endpoint().port();
  asio::co_spawn(_impl->ioc, _impl->accept_loop(), asio::detached);
  _impl->thread = std::thread([this] {
    try {
      _impl->ioc.run();
    } catch (const std::exception& e) {
      SPATE_LOG_ERROR("event=admin_server_failed error=\"{}\"", e.what());
    }
  });
}

void http_server::stop() {
  if (!_impl->thread.joinable()) return;
  asio::post(_impl->ioc, [impl = _impl.get()] {
    impl->stopping = true;
    error_code ignored;
    impl->acceptor.close(ignored);
    for (auto& [id, weak] : impl->sessions) {
      if (auto s = weak.lock()) s->close();
    }
  });
  _impl->thread.join();
}

std::uint16_t http_server::bound_port() const { return _impl->port.load(); }
std::size_t http_server::open_connections() const { return _impl->open.load(); }
boost::asio::any_io_executor http_server::executor() const { return _impl->ioc.get_executor(); }

}  // namespace spate::admin
