#include "net/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/assert.h"
#include "base/log.h"
#include "base/log_limit.h"
#include "net/connection.h"
#include "net/tls_context.h"

namespace spate::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::string format_peer(const tcp::endpoint& ep) {
  const auto address = ep.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), ep.port());
  return fmt::format("{}:{}", address.to_string(), ep.port());
}

}  // namespace

// One event-loop thread and the connections it owns.
// Thread-safety: `connections` and `stopping` are touched only on `ctx`'s thread; other threads
// reach the worker by posting to `ctx`.
class worker final : public detail::connection_observer {
 public:
  explicit worker(server::impl& owner) : _owner(owner) {}

  void adopt(tcp::socket socket, std::size_t listener);
  void begin_stop();
  void connection_closed(std::uint64_t connection_id) override;
  void tls_handshake_failed() override;

  // Declared before `connections`: connections (and their sockets) must die before the context.
  asio::io_context ctx{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ctx.get_executor()};
  std::thread thread;

 private:
  server::impl& _owner;
  std::unordered_map<std::uint64_t, std::shared_ptr<detail::connection>> _connections;
  bool _stopping = false;
};

struct server::impl {
  server_config config;
  std::shared_ptr<const detail::connection_settings> settings;

  // Declared before `acceptor`: the acceptor lives on workers[0]->ctx and must be destroyed first.
  std::vector<std::unique_ptr<worker>> workers;
  // The effective listeners (config.listeners, or config.host:port) and one acceptor each.
  std::vector<listener_config> listeners;
  std::vector<tcp::acceptor> acceptors;
  std::size_t next_worker = 0;         // accept loops only (all on workers[0])
  base::log_condition accept_failing;  // accept loops only

  bool running = false;  // controlling thread only
  bool started = false;  // controlling thread only

  std::vector<std::atomic<std::uint16_t>> ports;  // sized at start(), one per listener
  std::atomic<std::uint64_t> next_connection_id{1};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};

  // stop() waits on `cv` for: every worker has begun stopping and no connection is open.
  // `stopped_workers` is guarded by `mu`; `open` is atomic but modified under `mu` while
  // decrementing, so the waiter cannot miss the last wake-up.
  std::atomic<std::size_t> open{0};
  std::mutex mu;
  std::condition_variable cv;
  std::size_t stopped_workers = 0;

  asio::awaitable<void> accept_loop(std::size_t listener);
  void bind(std::size_t listener);
  void join_and_destroy_workers();
};

void worker::adopt(tcp::socket socket, std::size_t listener) {
  boost::system::error_code ec;
  if (_stopping) {
    socket.close(ec);
    return;
  }
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // the peer is already gone
  socket.set_option(tcp::no_delay(true), ec);
  const std::uint64_t id = _owner.next_connection_id.fetch_add(1, std::memory_order_relaxed);
  std::string peer = format_peer(remote);
  SPATE_LOG_DEBUG("connection opened id={} peer={}", id, peer);
  const listener_config& config = _owner.listeners[listener];
  auto conn =
      std::make_shared<detail::connection>(std::move(socket), id, std::move(peer), listener, config.name,
                                           _owner.settings, *this, config.tls ? config.tls->current() : nullptr);
  _owner.open.fetch_add(1);
  _owner.accepted.fetch_add(1, std::memory_order_relaxed);
  _connections.emplace(id, conn);
  conn->start();
}

void worker::begin_stop() {
  _stopping = true;
  std::vector<std::shared_ptr<detail::connection>> snapshot;  // drain() may close and unregister
  snapshot.reserve(_connections.size());
  for (auto& [id, conn] : _connections) snapshot.push_back(conn);
  for (auto& conn : snapshot) conn->drain(_owner.config.stop_grace);
  std::lock_guard lock(_owner.mu);
  ++_owner.stopped_workers;
  _owner.cv.notify_all();
}

void worker::connection_closed(std::uint64_t connection_id) {
  _connections.erase(connection_id);
  std::lock_guard lock(_owner.mu);
  _owner.open.fetch_sub(1);
  _owner.cv.notify_all();
}

void worker::tls_handshake_failed() { _owner.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed); }

asio::awaitable<void> server::impl::accept_loop(std::size_t listener) {
  tcp::acceptor* acceptor = &acceptors[listener];
  asio::steady_timer backoff(acceptor->get_executor());
  for (;;) {
    worker& target = *workers[next_worker++ % workers.size()];
    tcp::socket socket(target.ctx);  // accepted straight onto the target thread's reactor
    boost::system::error_code ec;
    co_await acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (!acceptor->is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // E.g. EMFILE: log once, back off briefly instead of spinning, keep serving.
      if (accept_failing.set()) SPATE_LOG_WARN("event=accept_failing error=\"{}\"", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (auto failures = accept_failing.clear()) SPATE_LOG_INFO("event=accept_recovered failed_accepts={}", *failures);
    asio::post(target.ctx,
               [&target, s = std::move(socket), listener]() mutable { target.adopt(std::move(s), listener); });
  }
}

server::server(server_config config, frame_handler handler) : _impl(std::make_unique<impl>()) {
  SPATE_ASSERT(handler != nullptr, "server needs a frame handler");
  _impl->settings = std::make_shared<const detail::connection_settings>(
      detail::connection_settings{config.max_frame_bytes, std::max<std::size_t>(1, config.max_in_flight_per_connection),
                                  config.tls_handshake_timeout, std::move(handler), config.observer});
  _impl->config = std::move(config);
}

server::~server() { stop(); }

void server::start() {
  impl& s = *_impl;
  SPATE_ASSERT(!s.started, "server::start() may be called once");
  s.started = true;
  unsigned threads = s.config.threads != 0 ? s.config.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, threads);
  for (unsigned i = 0; i < threads; ++i) s.workers.push_back(std::make_unique<worker>(s));

  s.listeners = s.config.listeners;
  if (s.listeners.empty()) s.listeners.push_back({"PLAINTEXT", s.config.host, s.config.port});
  s.ports = std::vector<std::atomic<std::uint16_t>>(s.listeners.size());
  s.acceptors.reserve(s.listeners.size());  // the accept loops keep pointers to them
  for (std::size_t i = 0; i < s.listeners.size(); ++i) s.bind(i);
  auto& ctx = s.workers.front()->ctx;
  for (std::size_t i = 0; i < s.listeners.size(); ++i) asio::co_spawn(ctx, s.accept_loop(i), asio::detached);
  for (auto& w : s.workers) {
    w->thread = std::thread([w = w.get()] {
      for (;;) {
        try {
          w->ctx.run();
          return;
        } catch (const std::exception& e) {
          // Our coroutines catch their own errors; this is a bug, but one connection's bug.
          SPATE_LOG_ERROR("event loop error error=\"{}\"", e.what());
        }
      }
    });
  }
  s.running = true;
  for (std::size_t i = 0; i < s.listeners.size(); ++i) {
    SPATE_LOG_INFO("listening listener={} host={} port={} tls={} threads={}", s.listeners[i].name, s.listeners[i].host,
                   s.ports[i].load(), s.listeners[i].tls != nullptr, threads);
  }
}

void server::impl::bind(std::size_t index) {
  const listener_config& l = listeners[index];
  auto& ctx = workers.front()->ctx;
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(l.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, l.port);
  } else {
    tcp::resolver resolver(ctx);
    const auto results = resolver.resolve(l.host, std::to_string(l.port), ec);
    if (ec || results.empty()) {
      throw std::system_error(ec.value() != 0 ? ec.value() : EINVAL, std::system_category(),
                              fmt::format("cannot resolve listen host {}", l.host));
    }
    endpoint = results.begin()->endpoint();
  }

  auto& acceptor = acceptors.emplace_back(ctx);
  auto check = [&](const char* what) {
    if (ec) {
      throw std::system_error(ec.value(), std::system_category(), fmt::format("{} {}:{}", what, l.host, l.port));
    }
  };
  acceptor.open(endpoint.protocol(), ec);
  check("cannot open listener for");
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  check("cannot set SO_REUSEADDR on");
  acceptor.bind(endpoint, ec);
  check("cannot bind");
  acceptor.listen(tcp::acceptor::max_listen_connections, ec);
  check("cannot listen on");
  ports[index].store(acceptor.local_endpoint().port());
}

void server::stop() {
  impl& s = *_impl;
  if (!s.running) return;
  s.running = false;
  SPATE_LOG_INFO("stopping server port={} open_connections={}", s.ports[0].load(), s.open.load());

  asio::post(s.workers.front()->ctx, [&s] {
    boost::system::error_code ignored;
    for (auto& acceptor : s.acceptors) acceptor.close(ignored);  // the accept loops end with operation_aborted
  });
  for (auto& w : s.workers) asio::post(w->ctx, [w = w.get()] { w->begin_stop(); });
  {
    // Connections close themselves once their in-flight responses are written, or at stop_grace.
    // The extra second is a safety net only.
    std::unique_lock lock(s.mu);
    s.cv.wait_for(lock, s.config.stop_grace + std::chrono::seconds(1), [&] {
      return s.stopped_workers == s.workers.size() && s.open.load() == 0;
    });
  }
  s.join_and_destroy_workers();
  SPATE_LOG_INFO("server stopped port={}", s.ports[0].load());
}

void server::impl::join_and_destroy_workers() {
  for (auto& w : workers) w->ctx.stop();
  for (auto& w : workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  // Handlers still suspended (past the grace period) are destroyed with their io_context. The
  // acceptor and the accept loop's pending socket belong to workers[0] but may hold a socket of
  // another worker, so workers[0] goes first while the others are still alive.
  acceptors.clear();
  for (auto& w : workers) w.reset();
  workers.clear();
  open.store(0);
}

std::uint16_t server::bound_port(std::size_t index) const {
  return index < _impl->ports.size() ? _impl->ports[index].load() : 0;
}
std::size_t server::open_connections() const { return _impl->open.load(); }
std::uint64_t server::accepted_connections() const { return _impl->accepted.load(); }
std::uint64_t server::tls_handshake_failures() const { return _impl->tls_handshake_failures.load(); }

}  // namespace spate::net
