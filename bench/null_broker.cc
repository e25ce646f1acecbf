// null_broker: a Kafka broker that stores nothing, the load tool's ceiling for bench/run.py.
//
//   null_broker [--listen HOST:PORT] [--partitions N] [--topic NAME[:PARTITIONS]]... [--fill N]
//               [--fetch-record-size BYTES] [--fetch-records-per-batch N] [--max-seconds S] [--no-stdin]
//
// Prints one line on stdout, its bootstrap address ("127.0.0.1:PORT"), then serves until SIGINT/SIGTERM,
// until stdin reaches end-of-file (so it dies with the process holding the other end of its stdin
// pipe; --no-stdin turns that off) or until --max-seconds elapse (default 3600).
//
// One broker, node 0, leader of every partition. Every topic name exists: a name is created on first
// mention in a Metadata request with --partitions partitions (default 1) unless a --topic flag gave its
// count. Answers, at these versions:
//   ApiVersions 0-3, Metadata 1-9, Produce 3-8, Fetch 4-11, ListOffsets 1-7, FindCoordinator 0-4,
//   InitProducerId 0-4
// and closes the connection on anything else (as Kafka does with a request it cannot parse).
//
// * Produce reads each batch's header (lastOffsetDelta) to advance the partition's high watermark and
//   acknowledges; the records are never copied or kept. acks=0 gets no response.
// * Fetch serves one pre-built batch template, --fetch-records-per-batch records (default: as many as
//   fill librdkafka's default batch.size of 1,000,000 bytes) of --fetch-record-size bytes (default 1024),
//   with only baseOffset patched (the CRC does not cover it), up to the high watermark: --fill N records
//   per partition at start plus what was produced since. Whole batches within the request's max_bytes and
//   each partition's max bytes (the first batch of a response always goes), written by scatter/gather
//   straight from the template. A fetch with nothing to return waits up to its max_wait_ms for a produce.
// * ListOffsets: earliest 0, latest (and max timestamp) the high watermark; a timestamp lookup answers 0.
// * FindCoordinator: itself. InitProducerId: a new producer id, epoch 0.
//
// Messages go through spate's generated protocol module, except where its `records` type (an owning
// byte vector) would copy the data: a Produce request is walked with protocol::reader (records as a
// span) and a Fetch response is the generated partition encoder's output with the records spliced in.
// A self-check at start-up decodes both with the generated messages at every advertised version and
// exits if they disagree.
//
// One thread, one io_context: the client at the other end does far more work per byte than this.
// This file: options, connections, main; null_broker_state.h: the handlers; null_broker_wire.h: the
// template, the response buffer and the Produce walk.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/transfer_condition.h"
#include "null_broker_state.h"
#include "null_broker_wire.h"
#include "protocol/messages/request_header.h"

namespace {

namespace asio = boost::asio;
namespace base = spate::base;
namespace protocol = spate::protocol;
using asio::ip::tcp;
using protocol::api_key;
using protocol::error_code;
using spate_bench::broker_settings;
using spate_bench::null_broker;
using spate_bench::response_buffer;

constexpr std::int32_t max_frame_bytes = 128 * 1024 * 1024;
// Several of librdkafka's ~1 MB produce requests: a partial frame is moved to the front of the
// buffer only once every few frames. Not zero-filled, so only what a connection uses is resident.
constexpr std::size_t initial_read_buffer = std::size_t{4} << 20;
// librdkafka's default batch.size: the size of the batches a producer leaves in a real broker's log.
constexpr std::size_t default_batch_bytes = 1'000'000;

// ---- options ----

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  broker_settings broker;  // fetch_records_per_batch 0 until parsed: as many as fill default_batch_bytes
  double max_seconds = 3600;
  bool watch_stdin = true;
};

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "null_broker: %s\n", msg.c_str());
  std::fprintf(stderr,
               "usage: null_broker [--listen HOST:PORT] [--partitions N] [--topic NAME[:PARTITIONS]]... "
               "[--fill N] [--fetch-record-size BYTES] [--fetch-records-per-batch N] [--max-seconds S] "
               "[--no-stdin]\n");
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  o.broker.fetch_records_per_batch = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    try {
      if (a == "--listen") {
        const std::string v = val();
        const auto colon = v.rfind(':');
        if (colon == std::string::npos) usage("--listen expects HOST:PORT");
        o.host = v.substr(0, colon);
        o.port = static_cast<std::uint16_t>(std::stoi(v.substr(colon + 1)));
      } else if (a == "--partitions") {
        o.broker.default_partitions = std::stoi(val());
      } else if (a == "--topic") {
        std::string t = val();
        std::int32_t parts = 1;
        if (const auto colon = t.find(':'); colon != std::string::npos) {
          parts = std::stoi(t.substr(colon + 1));
          t.resize(colon);
        }
        if (t.empty() || parts <= 0) usage("bad --topic");
        o.broker.topics.emplace_back(t, parts);
      } else if (a == "--fill") {
        o.broker.fill = std::stoll(val());
      } else if (a == "--fetch-record-size") {
        o.broker.fetch_record_size = static_cast<std::size_t>(std::stoll(val()));
      } else if (a == "--fetch-records-per-batch") {
        o.broker.fetch_records_per_batch = std::stoi(val());
      } else if (a == "--max-seconds") {
        o.max_seconds = std::stod(val());
      } else if (a == "--no-stdin") {
        o.watch_stdin = false;
      } else if (a == "-h" || a == "--help") {
        usage("help");
      } else {
        usage("unknown argument " + a);
      }
    } catch (const std::logic_error&) {
      usage("bad value for " + a);
    }
  }
  if (o.broker.default_partitions <= 0 || o.broker.fill < 0 || o.broker.fetch_records_per_batch < 0 ||
      o.max_seconds <= 0 || o.broker.fetch_record_size > (std::size_t{64} << 20)) {
    usage("bad numeric value");
  }
  if (o.broker.fetch_records_per_batch == 0) {
    o.broker.fetch_records_per_batch = static_cast<std::int32_t>(
        std::clamp<std::size_t>(default_batch_bytes / (o.broker.fetch_record_size + 8), 1, 100'000));
  }
  return o;
}

// ---- connections ----

bool is_quiet_disconnect(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::error::operation_aborted;
}

// One client connection: reads requests into a reused buffer, answers them in order, and sends the
// responses to everything one read brought with one gathering write. A fetch that waits for data
// sends the responses queued before it first. Lives as long as its coroutine (run() holds it).
class connection {
 public:
  connection(tcp::socket socket, null_broker& broker)
      : _socket(std::move(socket)),
        _broker(broker),
        _timer(_socket.get_executor()),
        _in(std::make_unique_for_overwrite<std::uint8_t[]>(initial_read_buffer)),
        _capacity(initial_read_buffer) {}

  static asio::awaitable<void> run(std::shared_ptr<connection> self) { co_await self->serve(); }

 private:
  asio::awaitable<void> serve() {
    try {
      for (;;) {
        if (_end == _capacity) make_room(4);  // a partial size prefix at the very end
        _end += co_await _socket.async_read_some(asio::buffer(_in.get() + _end, _capacity - _end), asio::use_awaitable);
        while (_end - _begin >= 4) {
          const auto size = base::load_be<std::int32_t>(_in.get() + _begin);
          if (size < 8 || size > max_frame_bytes) throw std::runtime_error("bad frame size " + std::to_string(size));
          const std::size_t total = 4 + static_cast<std::size_t>(size);
          if (_end - _begin < total) {
            make_room(total);
            break;
          }
          const base::byte_span frame(_in.get() + _begin + 4, static_cast<std::size_t>(size));
          _begin += total;
          if (!co_await handle(frame)) {
            co_await flush();
            co_return;
          }
        }
        if (_begin == _end) _begin = _end = 0;
        co_await flush();
      }
    } catch (const boost::system::system_error& e) {
      if (!is_quiet_disconnect(e.code())) std::fprintf(stderr, "null_broker: connection: %s\n", e.what());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "null_broker: connection closed: %s\n", e.what());
    }
  }

  // Makes the buffer hold `total` bytes from _begin, moving the partial frame to the front or into a
  // larger buffer (the only copies of request bytes, at most one per frame that did not fit).
  void make_room(std::size_t total) {
    if (_begin + total <= _capacity) return;
    const std::size_t have = _end - _begin;
    if (total <= _capacity) {
      std::memmove(_in.get(), _in.get() + _begin, have);
    } else {
      const std::size_t capacity = std::max(4 * total, 2 * _capacity);
      auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
      std::memcpy(bigger.get(), _in.get() + _begin, have);
      _in = std::move(bigger);
      _capacity = capacity;
    }
    _begin = 0;
    _end = have;
  }

  asio::awaitable<void> flush() {
    if (_out.empty()) co_return;
    co_await asio::async_write(_socket, _out.buffers(), spate::net::as_much_as_each_call_moves{}, asio::use_awaitable);
    _out.clear();
  }

  template <typename Response>
  void respond(const Response& resp, std::int16_t version) {
    _out.begin_response(_header.correlation_id, protocol::response_header_version(Response::key, version));
    resp.encode(_out.writer(), version);
    _out.end_response();
  }

  // Returns false when the connection should close (a request we do not answer).
  asio::awaitable<bool> handle(base::byte_span frame) {
    const auto key = static_cast<api_key>(base::load_be<std::int16_t>(frame.data()));
    const auto version = base::load_be<std::int16_t>(frame.data() + 2);
    const auto* api = spate_bench::find_supported(key);
    if (api == nullptr) {
      std::fprintf(stderr, "null_broker: unsupported API key %d (v%d); closing the connection\n", static_cast<int>(key),
                   version);
      co_return false;
    }
    protocol::reader r(frame);
    _header.decode(r, protocol::request_header_version(key, version));
    _broker.count_request(key);
    if (version < api->min_version || version > api->max_version) {
      if (key == api_key::api_versions) {
        // Kafka's answer to an ApiVersions version it does not know: a v0 body with the error, so
        // the client can retry with a version from the list.
        _out.begin_response(_header.correlation_id, 0);
        spate_bench::api_versions(error_code::unsupported_version).encode(_out.writer(), 0);
        _out.end_response();
        co_return true;
      }
      std::fprintf(stderr, "null_broker: %s v%d not supported; closing the connection\n",
                   std::string(protocol::api_name(key)).c_str(), version);
      co_return false;
    }
    switch (key) {
      case api_key::produce:
        if (_broker.produce(r, version, _produce)) respond(_produce, version);
        break;
      case api_key::fetch: {
        protocol::fetch_request req;
        req.decode(r, version);
        co_await wait_for_data(req);
        _out.begin_response(_header.correlation_id, protocol::response_header_version(key, version));
        _broker.write_fetch(req, version, _out);
        _out.end_response();
        break;
      }
      case api_key::list_offsets: {
        protocol::list_offsets_request req;
        req.decode(r, version);
        respond(_broker.list_offsets(req), version);
        break;
      }
      case api_key::metadata: {
        protocol::metadata_request req;
        req.decode(r, version);
        respond(_broker.metadata(req), version);
        break;
      }
      case api_key::find_coordinator: {
        protocol::find_coordinator_request req;
        req.decode(r, version);
        respond(_broker.find_coordinator(req), version);
        break;
      }
      case api_key::api_versions: {
        protocol::api_versions_request req;
        req.decode(r, version);
        respond(spate_bench::api_versions(error_code::none), version);
        break;
      }
      case api_key::init_producer_id: {
        protocol::init_producer_id_request req;
        req.decode(r, version);
        respond(_broker.init_producer_id(), version);
        break;
      }
      default: co_return false;
    }
    co_return true;
  }

  // Long poll: up to max_wait_ms (capped at 30 s) until a produce gives the fetch something to return.
  asio::awaitable<void> wait_for_data(const protocol::fetch_request& req) {
    if (req.max_wait_ms <= 0 || _broker.fetch_has_data(req)) co_return;
    co_await flush();
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min(req.max_wait_ms, 30000));
    while (!_broker.fetch_has_data(req) && std::chrono::steady_clock::now() < deadline) {
      _timer.expires_at(deadline);
      _broker.add_waiter(_timer);
      boost::system::error_code ignored;  // operation_aborted is the wake-up
      co_await _timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      _broker.remove_waiter(_timer);
    }
  }

  tcp::socket _socket;
  null_broker& _broker;
  asio::steady_timer _timer;
  std::unique_ptr<std::uint8_t[]> _in;  // requests: [_begin, _end) not yet handled
  std::size_t _capacity;
  std::size_t _begin = 0;
  std::size_t _end = 0;
  response_buffer _out;
  protocol::request_header _header;
  protocol::produce_response _produce;
};

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, null_broker& broker) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      std::fprintf(stderr, "null_broker: accept: %s\n", ec.message().c_str());
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), connection::run(std::make_shared<connection>(std::move(socket), broker)),
                   asio::detached);
  }
}

// ---- stdin watch ----

// Stops `ctx` when stdin reaches end-of-file (the process that started us went away), polling so
// that `done` ends the thread.
void watch_stdin(asio::io_context& ctx, const std::atomic<bool>& done) {
  while (!done.load()) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int r = ::poll(&p, 1, 200);
    if (r > 0) {
      char buf[256];
      if (::read(STDIN_FILENO, buf, sizeof buf) <= 0) {
        ctx.stop();
        return;
      }
    } else if (r < 0 && errno != EINTR) {
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  for (auto* check : {spate_bench::check_produce_walk, spate_bench::check_fetch_assembly}) {
    if (const auto e = check(); !e.empty()) {
      std::fprintf(stderr, "null_broker: self-check failed: %s\n", e.c_str());
      return 1;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context ctx(1);
  tcp::acceptor acceptor(ctx);
  try {
    const tcp::endpoint at(asio::ip::make_address(o.host), o.port);
    acceptor.open(at.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "null_broker: listening on %s:%u: %s\n", o.host.c_str(), o.port, e.what());
    return 1;
  }
  const auto port = acceptor.local_endpoint().port();
  null_broker broker(o.broker, o.host, port);
  if (const auto e = spate_bench::check_template(broker.fetch_template()); !e.empty()) {
    std::fprintf(stderr, "null_broker: self-check failed: %s\n", e.c_str());
    return 1;
  }

  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { ctx.stop(); });
  asio::steady_timer limit(ctx);
  limit.expires_after(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(o.max_seconds)));
  limit.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) ctx.stop();
  });
  asio::co_spawn(ctx, accept_loop(acceptor, broker), asio::detached);

  std::printf("%s:%u\n", o.host.c_str(), port);
  std::fflush(stdout);
  const auto& tmpl = broker.fetch_template();
  std::fprintf(stderr,
               "null_broker: ready bootstrap=%s:%u topics=%zu partitions=%d fill=%lld fetch_batch=%d x %zu B "
               "(%zu bytes)\n",
               o.host.c_str(), port, o.broker.topics.size(), o.broker.default_partitions,
               static_cast<long long>(o.broker.fill), tmpl.max_records(), o.broker.fetch_record_size,
               tmpl.batch_bytes(tmpl.max_records()));

  std::atomic<bool> done{false};
  std::thread stdin_thread;
  if (o.watch_stdin) stdin_thread = std::thread(watch_stdin, std::ref(ctx), std::cref(done));
  ctx.run();
  done.store(true);
  if (stdin_thread.joinable()) stdin_thread.join();
  broker.print_stats();
  std::fprintf(stderr, "null_broker: stopping\n");
  return 0;
}
