// The framing server against real sockets on 127.0.0.1 with ephemeral ports. Synchronisation is by
// awaited conditions (responses, futures, latches); timeouts exist only as safety nets.
#include "net/server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_client.h"

namespace spate::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using base::byte_buffer;
using test::append_frame;
using test::frame_u32;
using test::test_client;
using test::u32_frame;
using response = std::optional<base::spliced_buffer>;

server_config local_config() {
  server_config c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.threads = 2;
  return c;
}

frame_handler echo_handler() {
  return [](const connection_info&, base::byte_span frame) -> asio::awaitable<response> {
    co_return byte_buffer(frame.begin(), frame.end());
  };
}

asio::awaitable<void> sleep_on(const connection_info& ctx, std::chrono::microseconds d) {
  asio::steady_timer timer(ctx.executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

// Holds the handlers of requests 0..n-1 of one connection and lets them finish strictly in reverse,
// whatever the machine's speed: once all n are parked the last is released, and each handler
// releases the one before it when it is done (release_previous). The connection's in-flight limit
// must be at least n. Touched only on the connection's thread.
class reverse_release {
 public:
  explicit reverse_release(std::uint32_t n) : _gates(n, nullptr) {}

  asio::awaitable<void> park(const connection_info& ctx, std::uint32_t i) {
    asio::steady_timer gate(ctx.executor, asio::steady_timer::time_point::max());
    _gates.at(i) = &gate;
    // Posted, so the release runs once this handler's wait below has begun.
    if (++_parked == _gates.size()) asio::post(ctx.executor, [this] { _gates.back()->cancel(); });
    boost::system::error_code released;
    co_await gate.async_wait(asio::redirect_error(asio::use_awaitable, released));
  }

  void release_previous(std::uint32_t i) {
    if (i > 0) _gates.at(i - 1)->cancel();
  }

 private:
  std::vector<asio::steady_timer*> _gates;
  std::size_t _parked = 0;
};

// Polls a condition that the server reports only through a counter. Not a synchronisation sleep:
// it returns as soon as the condition holds and fails the test after `timeout`.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

byte_buffer pattern(std::size_t n) {
  byte_buffer b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return b;
}

void expect_echo(test_client& c, std::uint32_t value) {
  c.send_frame(u32_frame(value));
  const auto r = c.read_frame();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(frame_u32(*r), value);
}

TEST(net_server, echoes_frames_of_many_sizes) {
  server s(local_config(), echo_handler());
  s.start();
  ASSERT_NE(s.bound_port(), 0);
  test_client c(s.bound_port());
  // Around the 32 KiB read buffer, and well past it; 6 MiB is more than a loopback socket's buffers
  // take in one system call, so its reads and writes end part-way and resume.
  for (std::size_t n : {1u, 7u, 4096u, 32u * 1024 - 4, 32u * 1024, 32u * 1024 + 1, 100u * 1024, 1u << 20, 6u << 20}) {
    const auto sent = pattern(n);
    c.send_frame(sent);
    const auto got = c.read_frame();
    ASSERT_TRUE(got.has_value()) << "size " << n;
    EXPECT_EQ(*got, sent) << "size " << n;
  }
}

TEST(net_server, accepts_on_every_listener_and_tells_the_handler_which_one) {
  server_config config = local_config();
  config.listeners = {{"PLAINTEXT", "127.0.0.1", 0}, {"SASL_PLAINTEXT", "127.0.0.1", 0}};
  server s(config, [](const connection_info& ctx, base::byte_span) -> asio::awaitable<response> {
    co_return u32_frame(static_cast<std::uint32_t>(ctx.listener_index * 100 + ctx.listener.size()));
  });
  s.start();
  ASSERT_NE(s.bound_port(0), 0);
  ASSERT_NE(s.bound_port(1), 0);
  EXPECT_NE(s.bound_port(0), s.bound_port(1));
  test_client a(s.bound_port(0));
  test_client b(s.bound_port(1));
  a.send_frame(u32_frame(0));
  b.send_frame(u32_frame(0));
  EXPECT_EQ(frame_u32(*a.read_frame()), 9u);    // index 0, "PLAINTEXT"
  EXPECT_EQ(frame_u32(*b.read_frame()), 114u);  // index 1, "SASL_PLAINTEXT"
}

TEST(net_server, close_after_responses_writes_the_answer_then_closes_and_keeps_a_session_per_connection) {
  server s(local_config(), [](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    if (!ctx.session) ctx.session = std::make_shared<std::uint32_t>(0);
    auto& seen = *static_cast<std::uint32_t*>(ctx.session.get());
    ++seen;
    if (frame_u32(frame) == 0) ctx.close_after_responses();
    co_return u32_frame(seen);
  });
  s.start();
  test_client c(s.bound_port());
  c.send_frame(u32_frame(1));
  EXPECT_EQ(frame_u32(*c.read_frame()), 1u);
  c.send_frame(u32_frame(0));
  EXPECT_EQ(frame_u32(*c.read_frame()), 2u);  // answered, then closed
  EXPECT_TRUE(c.wait_closed());
  test_client other(s.bound_port());  // a new connection starts a new session
  other.send_frame(u32_frame(1));
  EXPECT_EQ(frame_u32(*other.read_frame()), 1u);
}

TEST(net_server, gives_the_handler_connection_details) {
  std::promise<std::pair<std::uint64_t, std::string>> seen;
  server s(local_config(), [&](const connection_info& ctx, base::byte_span) -> asio::awaitable<response> {
    seen.set_value({ctx.connection_id, ctx.peer});
    co_return byte_buffer{1};
  });
  s.start();
  test_client c(s.bound_port());
  c.send_frame(u32_frame(0));
  ASSERT_TRUE(c.read_frame().has_value());
  const auto [id, peer] = seen.get_future().get();
  EXPECT_GE(id, 1u);
  EXPECT_EQ(peer.rfind("127.0.0.1:", 0), 0u) << peer;
  EXPECT_EQ(s.accepted_connections(), 1u);
}

TEST(net_server, a_muted_connection_reads_its_next_request_only_after_the_mute) {
  // The first request mutes its connection for 200 ms (quota throttling); the second, sent as soon
  // as the first is answered, must not start before then. Another connection is not muted.
  // (Frames that arrived in the same read as the muting one are already parsed and still run.)
  std::mutex mutex;
  std::vector<std::pair<std::uint32_t, std::chrono::steady_clock::time_point>> started;
  server s(local_config(), [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    const auto value = frame_u32(frame);
    {
      std::lock_guard lock(mutex);
      started.emplace_back(value, std::chrono::steady_clock::now());
    }
    if (value == 1) ctx.mute_reads_for(200ms);
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client muted(s.bound_port());
  expect_echo(muted, 1);
  muted.send_frame(u32_frame(2));
  test_client other(s.bound_port());
  expect_echo(other, 3);
  const auto second = muted.read_frame();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(frame_u32(*second), 2u);
  std::lock_guard lock(mutex);
  ASSERT_EQ(started.size(), 3u);
  const auto at = [&](std::uint32_t v) {
    return std::find_if(started.begin(), started.end(), [v](const auto& e) { return e.first == v; })->second;
  };
  EXPECT_GE(at(2) - at(1), 200ms);
  EXPECT_LT(at(3), at(2));  // the other connection was served meanwhile
}

TEST(net_server, answers_pipelined_requests_in_request_order_when_handlers_finish_in_reverse) {
  constexpr std::uint32_t n = 1000;
  auto config = local_config();
  config.max_in_flight_per_connection = n;
  reverse_release gates(n);
  std::mutex mu;  // the test thread reads completion_order at the end
  std::vector<std::uint32_t> completion_order;
  server s(config, [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    const auto i = frame_u32(frame);
    co_await gates.park(ctx, i);
    {
      std::lock_guard lock(mu);
      completion_order.push_back(i);
    }
    gates.release_previous(i);
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client c(s.bound_port());
  byte_buffer all;
  for (std::uint32_t i = 0; i < n; ++i) append_frame(all, u32_frame(i));
  c.send_raw(all);
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto r = c.read_frame();
    ASSERT_TRUE(r.has_value()) << "response " << i;
    ASSERT_EQ(frame_u32(*r), i);
  }
  std::vector<std::uint32_t> reversed(n);
  for (std::uint32_t i = 0; i < n; ++i) reversed[i] = n - 1 - i;
  std::lock_guard lock(mu);
  EXPECT_EQ(completion_order, reversed);
}

// Frame buffers are pooled per connection. A request whose handler is still waiting (as a produce
// request waits for its fsync) keeps its buffer: later requests read into other buffers, and only a
// completed request's buffer is reused.
TEST(net_server, a_pooled_frame_buffer_is_reused_only_after_its_handler_completed) {
  constexpr std::uint32_t n = 8;            // more than the pool keeps
  constexpr std::size_t size = 100 * 1024;  // pooled: larger than the read buffer
  const auto frame_of = [&](std::uint32_t id) {
    byte_buffer b(size);
    for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + id * 7);
    base::store_be<std::uint32_t>(b.data(), id);
    return b;
  };
  auto config = local_config();
  config.max_in_flight_per_connection = n;
  std::mutex mu;  // the test thread reads these after the responses
  std::vector<const std::uint8_t*> buffers_seen;
  std::vector<std::uint32_t> corrupted;
  std::unique_ptr<reverse_release> gates;
  server s(config, [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    const auto id = frame_u32(frame);
    {
      std::lock_guard lock(mu);
      buffers_seen.push_back(frame.data());
    }
    co_await gates->park(ctx, id % n);
    // Everything the other requests of the round were read into while this one waited.
    const auto expected = frame_of(id);
    if (!std::equal(frame.begin(), frame.end(), expected.begin(), expected.end())) {
      std::lock_guard lock(mu);
      corrupted.push_back(id);
    }
    gates->release_previous(id % n);
    co_return u32_frame(id);
  });
  s.start();
  test_client c(s.bound_port());
  for (std::uint32_t round = 0; round < 2; ++round) {
    gates = std::make_unique<reverse_release>(n);
    byte_buffer all;
    for (std::uint32_t i = 0; i < n; ++i) append_frame(all, frame_of(round * n + i));
    c.send_raw(all);
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto r = c.read_frame();
      ASSERT_TRUE(r.has_value());
      ASSERT_EQ(frame_u32(*r), round * n + i);
    }
  }
  std::lock_guard lock(mu);
  EXPECT_TRUE(corrupted.empty()) << "request " << corrupted.front() << " saw its frame overwritten";
  ASSERT_EQ(buffers_seen.size(), 2 * n);
  const std::set<const std::uint8_t*> first(buffers_seen.begin(), buffers_seen.begin() + n);
  EXPECT_EQ(first.size(), n) << "requests in flight together share no buffer";
  const std::set<const std::uint8_t*> second(buffers_seen.begin() + n, buffers_seen.end());
  EXPECT_EQ(second.size(), n);
  EXPECT_TRUE(std::any_of(second.begin(), second.end(), [&](const auto* p) { return first.contains(p); }))
      << "the second round reuses buffers of the first";
}

// A response may splice in memory it does not own (a fetch's read buffers): the client receives the
// pieces in order, with one size prefix for the whole, and the connection lets go of the pieces'
// owners once they are written.
TEST(net_server, writes_spliced_pieces_in_order_and_releases_their_owners_after_the_write) {
  std::vector<std::weak_ptr<const byte_buffer>> owners;
  std::mutex mu;
  server s(local_config(), [&](const connection_info&, base::byte_span frame) -> asio::awaitable<response> {
    base::spliced_buffer out;
    out.bytes = byte_buffer(frame.begin(), frame.end());  // the request's 4 bytes, then the pieces around them
    for (const std::uint8_t fill : {std::uint8_t{0xa1}, std::uint8_t{0xb2}}) {
      auto piece = std::make_shared<const byte_buffer>(100'000, fill);
      {
        std::lock_guard lock(mu);
        owners.push_back(piece);
      }
      out.splices.push_back({fill == 0xa1 ? std::size_t{0} : std::size_t{2}, base::byte_span(*piece), piece});
    }
    co_return out;
  });
  s.start();
  test_client c(s.bound_port());
  c.send_frame(u32_frame(0x01020304));
  const auto r = c.read_frame();
  ASSERT_TRUE(r.has_value());
  byte_buffer expected(100'000, 0xa1);
  expected.insert(expected.end(), {0x01, 0x02});
  expected.insert(expected.end(), 100'000, 0xb2);
  expected.insert(expected.end(), {0x03, 0x04});
  EXPECT_EQ(*r, expected);
  // The owners go right after the write completes, on the connection's thread: await that.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  const auto released = [&] {
    std::lock_guard lock(mu);
    return owners.size() == 2 && owners[0].expired() && owners[1].expired();
  };
  while (!released() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_TRUE(released()) << "the connection still holds a written response's pieces";
}

TEST(net_server, answers_pipelined_requests_in_order_with_random_completion_and_bounded_in_flight) {
  constexpr std::uint32_t n = 1000;
  auto config = local_config();
  config.max_in_flight_per_connection = 16;
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  server s(config, [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    const int now = ++running;
    int prev = peak.load();
    while (now > prev && !peak.compare_exchange_weak(prev, now)) {
    }
    thread_local std::minstd_rand rng(42);
    co_await sleep_on(ctx, std::chrono::microseconds(rng() % 2000));
    --running;
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client c(s.bound_port());
  byte_buffer all;
  for (std::uint32_t i = 0; i < n; ++i) append_frame(all, u32_frame(i));
  c.send_raw(all);
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto r = c.read_frame();
    ASSERT_TRUE(r.has_value()) << "response " << i;
    ASSERT_EQ(frame_u32(*r), i);
  }
  EXPECT_LE(peak.load(), 16);  // backpressure: never more than max_in_flight outstanding
  EXPECT_GT(peak.load(), 1);   // but requests are pipelined
}

TEST(net_server, stops_reading_at_the_in_flight_limit) {
  auto config = local_config();
  config.max_in_flight_per_connection = 4;
  std::atomic<int> started{0};
  std::promise<asio::any_io_executor> four_started;
  // Touched only on the connection's thread: handlers park on their own timer until released.
  std::vector<asio::steady_timer*> parked;
  bool released = false;
  server s(config, [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    if (++started == 4) four_started.set_value(ctx.executor);
    if (!released) {
      asio::steady_timer gate(ctx.executor, asio::steady_timer::time_point::max());
      parked.push_back(&gate);
      boost::system::error_code cancelled;
      co_await gate.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
    }
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client c(s.bound_port());
  byte_buffer all;
  for (std::uint32_t i = 0; i < 10; ++i) append_frame(all, u32_frame(i));
  c.send_raw(all);
  auto executor = four_started.get_future().get();
  // All ten requests sit in the server's read buffer; only four may have reached a handler. A
  // fifth would be dispatched on the same loop turn if reading continued; check from that thread
  // after a round trip through its queue.
  std::promise<int> seen;
  asio::post(executor, [&] { asio::post(executor, [&] { seen.set_value(started.load()); }); });
  EXPECT_EQ(seen.get_future().get(), 4);
  asio::post(executor, [&] {
    released = true;
    for (auto* gate : parked) gate->cancel();
    parked.clear();
  });
  for (std::uint32_t i = 0; i < 10; ++i) {
    const auto r = c.read_frame();
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(frame_u32(*r), i);
  }
  EXPECT_EQ(started.load(), 10);
}

TEST(net_server, closes_a_connection_whose_frame_is_too_large_and_keeps_serving_others) {
  auto config = local_config();
  config.max_frame_bytes = 1024;
  server s(config, echo_handler());
  s.start();
  test_client good(s.bound_port());
  expect_echo(good, 1);

  test_client bad(s.bound_port());
  byte_buffer header;
  base::append_be<std::uint32_t>(header, 1025);
  bad.send_raw(header);
  bad.send_raw(pattern(100));
  EXPECT_TRUE(bad.wait_closed());

  expect_echo(good, 2);
  test_client at_limit(s.bound_port());
  const auto max_frame = pattern(1024);
  at_limit.send_frame(max_frame);
  const auto r = at_limit.read_frame();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, max_frame);
  EXPECT_TRUE(eventually([&] { return s.open_connections() == 2; }));
}

TEST(net_server, closes_connections_sending_negative_zero_or_garbage_sizes) {
  server s(local_config(), echo_handler());
  s.start();
  const std::string http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";  // size 0x47455420 > max
  const std::vector<byte_buffer> inputs = {
      {0xFF, 0xFF, 0xFF, 0xFF},              // -1
      {0x80, 0x00, 0x00, 0x00, 1, 2, 3},     // INT32_MIN
      {0x00, 0x00, 0x00, 0x00},              // 0
      byte_buffer(http.begin(), http.end()),  // garbage
  };
  for (const auto& input : inputs) {
    test_client c(s.bound_port());
    c.send_raw(input);
    EXPECT_TRUE(c.wait_closed());
  }
  test_client fine(s.bound_port());
  expect_echo(fine, 7);
}

TEST(net_server, a_throwing_handler_closes_only_its_connection) {
  server s(local_config(), [](const connection_info&, base::byte_span frame) -> asio::awaitable<response> {
    if (frame_u32(frame) == 666) throw std::runtime_error("cannot decode request");
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client victim(s.bound_port());
  test_client bystander(s.bound_port());
  expect_echo(victim, 1);
  victim.send_frame(u32_frame(666));
  EXPECT_TRUE(victim.wait_closed());
  expect_echo(bystander, 2);
  EXPECT_TRUE(eventually([&] { return s.open_connections() == 1; }));
}

TEST(net_server, a_request_without_response_writes_nothing_and_later_responses_keep_order) {
  constexpr std::uint32_t n = 100;
  auto config = local_config();
  config.max_in_flight_per_connection = n;
  reverse_release gates(n);
  server s(config, [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    const auto i = frame_u32(frame);
    if (i < n) {
      co_await gates.park(ctx, i);
      gates.release_previous(i);
    }
    if (i % 2 == 0) co_return std::nullopt;  // like produce with acks=0
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client c(s.bound_port());
  byte_buffer all;
  for (std::uint32_t i = 0; i < n; ++i) append_frame(all, u32_frame(i));
  c.send_raw(all);
  for (std::uint32_t i = 1; i < n; i += 2) {
    const auto r = c.read_frame();
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(frame_u32(*r), i);
  }
  expect_echo(c, 101);
}

// Records what the server reports; called on event-loop threads.
class recording_observer final : public request_observer {
 public:
  void request_completed(const request_timing& t) noexcept override {
    std::lock_guard lock(mutex);
    seen.push_back(t);
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return seen.size();
  }
  std::mutex mutex;
  std::vector<request_timing> seen;
};

TEST(net_server, tells_the_observer_each_request_with_its_prefix_and_phases_in_request_order) {
  recording_observer observer;
  auto config = local_config();
  config.observer = &observer;
  server s(config, [](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    const auto i = frame_u32(frame);
    if (i == 1) co_await sleep_on(ctx, 20ms);  // handled slowly
    if (i == 2) co_return std::nullopt;        // no response (acks=0)
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client c(s.bound_port());
  byte_buffer all;
  for (std::uint32_t i = 0; i < 4; ++i) append_frame(all, u32_frame(i));
  c.send_raw(all);
  for (std::uint32_t i : {0u, 1u, 3u}) {
    const auto r = c.read_frame();
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(frame_u32(*r), i);
  }
  ASSERT_TRUE(eventually([&] { return observer.count() == 4; }));
  std::lock_guard lock(observer.mutex);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(observer.seen[i].frame_prefix, i);
  EXPECT_GE(observer.seen[1].handle, 20ms);
  // Request 3 finished at once but waited for request 1's response: that is send time.
  EXPECT_GE(observer.seen[3].send, 10ms);
  for (const auto& t : observer.seen) {
    EXPECT_GE(t.queue.count(), 0);
    EXPECT_GE(t.send.count(), 0);
  }
}

TEST(net_server, serves_many_connections_across_event_loop_threads) {
  constexpr int connections = 32;
  constexpr std::uint32_t requests = 200;
  constexpr std::uint32_t window = 10;
  auto config = local_config();
  config.threads = 4;
  std::mutex mu;
  std::set<std::thread::id> loop_threads;
  std::set<std::uint64_t> connection_ids;
  server s(config, [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    {
      std::lock_guard lock(mu);
      loop_threads.insert(std::this_thread::get_id());
      connection_ids.insert(ctx.connection_id);
    }
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();

  std::latch all_connected(connections + 1);
  std::latch may_finish(1);
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  for (int k = 0; k < connections; ++k) {
    clients.emplace_back([&, k] {
      test_client c(s.bound_port());
      const std::uint32_t base = static_cast<std::uint32_t>(k) * 1'000'000;
      for (std::uint32_t i = 0; i < requests; i += window) {
        byte_buffer batch;
        for (std::uint32_t j = i; j < i + window; ++j) append_frame(batch, u32_frame(base + j));
        c.send_raw(batch);
        for (std::uint32_t j = i; j < i + window; ++j) {
          const auto r = c.read_frame();
          if (!r || frame_u32(*r) != base + j) ++failures;
        }
        if (i == 0) all_connected.count_down();
      }
      may_finish.wait();
    });
  }
  all_connected.arrive_and_wait();
  EXPECT_EQ(s.open_connections(), static_cast<std::size_t>(connections));
  may_finish.count_down();
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(eventually([&] { return s.open_connections() == 0; }));
  std::lock_guard lock(mu);
  EXPECT_EQ(loop_threads.size(), 4u);  // round-robin over all event loops
  EXPECT_EQ(connection_ids.size(), static_cast<std::size_t>(connections));
}

TEST(net_server, a_half_closed_peer_still_gets_its_responses) {
  server s(local_config(), [](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    co_await sleep_on(ctx, 2ms);
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client c(s.bound_port());
  byte_buffer all;
  for (std::uint32_t i = 0; i < 3; ++i) append_frame(all, u32_frame(i));
  c.send_raw(all);
  c.shutdown_write();
  for (std::uint32_t i = 0; i < 3; ++i) {
    const auto r = c.read_frame();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(frame_u32(*r), i);
  }
  EXPECT_TRUE(c.wait_closed());
}

TEST(net_server, stop_writes_in_flight_responses_then_closes) {
  std::promise<void> started;
  server s(local_config(), [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    started.set_value();
    co_await sleep_on(ctx, 50ms);
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  test_client c(s.bound_port());
  c.send_frame(u32_frame(5));
  started.get_future().wait();
  auto stopping = std::async(std::launch::async, [&] { s.stop(); });
  const auto r = c.read_frame();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(frame_u32(*r), 5u);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(stopping.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(s.open_connections(), 0u);
}

TEST(net_server, stop_with_open_connections_and_a_stuck_handler_is_prompt) {
  auto config = local_config();
  config.stop_grace = 200ms;
  std::promise<void> stuck;
  server s(config, [&](const connection_info& ctx, base::byte_span frame) -> asio::awaitable<response> {
    if (frame_u32(frame) == 0) {
      stuck.set_value();
      co_await sleep_on(ctx, std::chrono::hours(1));  // a long poll that never ends
    }
    co_return byte_buffer(frame.begin(), frame.end());
  });
  s.start();
  std::vector<std::unique_ptr<test_client>> idle;
  for (std::uint32_t i = 1; i <= 10; ++i) {
    idle.push_back(std::make_unique<test_client>(s.bound_port()));
    expect_echo(*idle.back(), i);
  }
  test_client waiting(s.bound_port());
  waiting.send_frame(u32_frame(0));
  stuck.get_future().wait();

  const auto before = std::chrono::steady_clock::now();
  s.stop();
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_LT(took, 3s);
  EXPECT_EQ(s.open_connections(), 0u);
  for (auto& c : idle) EXPECT_TRUE(c->wait_closed());
  EXPECT_TRUE(waiting.wait_closed());
  s.stop();  // idempotent
}

TEST(net_server, reports_an_ephemeral_port_and_refuses_a_busy_one) {
  server first(local_config(), echo_handler());
  first.start();
  auto config = local_config();
  config.port = first.bound_port();
  server second(config, echo_handler());
  EXPECT_THROW(second.start(), std::system_error);
  test_client c(first.bound_port());
  expect_echo(c, 3);
}

}  // namespace
}  // namespace spate::net
