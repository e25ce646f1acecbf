#include "net/coalescing_socket.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <optional>
#include <vector>

namespace spate::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A connected pair on loopback: `sending` wrapped, `peer` plain.
struct socket_pair {
  asio::io_context io;
  std::optional<coalescing_socket> sending;
  tcp::socket peer{io};

  socket_pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    peer = acceptor.accept();
    sending.emplace(std::move(client));
  }

  // Bytes the peer can read now, without waiting.
  std::size_t readable() {
    peer.non_blocking(true);
    std::vector<std::uint8_t> chunk(1 << 20);
    boost::system::error_code ec;
    std::size_t total = 0;
    for (;;) {
      const auto n = peer.read_some(asio::buffer(chunk), ec);
      if (ec) break;
      received.insert(received.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
      total += n;
    }
    return total;
  }

  std::vector<std::uint8_t> received;
};

std::vector<std::uint8_t> record(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7);
  return out;
}

template <typename F>
void run(socket_pair& p, F body) {
  bool done = false;
  asio::co_spawn(p.io, body(), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  p.io.run();
  ASSERT_TRUE(done);
  p.io.restart();
}

TEST(coalescing_socket, held_writes_leave_in_order_at_release_and_not_before) {
  socket_pair p;
  std::vector<std::uint8_t> expected;
  std::size_t readable_before_release = 0;
  run(p, [&]() -> asio::awaitable<void> {
    p.sending->hold();
    for (std::uint8_t i = 0; i < 10; ++i) {  // 10 x 16 KiB, below the send threshold
      const auto r = record(16 << 10, i);
      expected.insert(expected.end(), r.begin(), r.end());
      const auto n = co_await asio::async_write(*p.sending, asio::buffer(r), asio::use_awaitable);
      EXPECT_EQ(n, r.size());
    }
    readable_before_release = p.readable();
    EXPECT_FALSE(co_await p.sending->release());
  });
  EXPECT_EQ(readable_before_release, 0u);
  p.readable();
  EXPECT_EQ(p.received, expected);
}

TEST(coalescing_socket, a_hold_past_the_threshold_sends_without_waiting_for_release) {
  socket_pair p;
  std::vector<std::uint8_t> expected;
  std::size_t readable_before_release = 0;
  run(p, [&]() -> asio::awaitable<void> {
    p.sending->hold();
    for (std::uint8_t i = 0; i < 20; ++i) {  // 20 x 16 KiB: past 256 KiB
      const auto r = record(16 << 10, i);
      expected.insert(expected.end(), r.begin(), r.end());
      co_await asio::async_write(*p.sending, asio::buffer(r), asio::use_awaitable);
    }
    readable_before_release = p.readable();
    EXPECT_FALSE(co_await p.sending->release());
  });
  EXPECT_GE(readable_before_release, coalescing_socket::send_at_bytes);
  p.readable();
  EXPECT_EQ(p.received, expected);
}

TEST(coalescing_socket, keeps_no_buffer_once_a_release_has_sent_everything) {
  socket_pair p;
  std::size_t kept_while_holding = 0;
  std::size_t kept_after_release = 0;
  std::size_t kept_after_second_release = 0;
  std::size_t sent = 0;
  run(p, [&]() -> asio::awaitable<void> {
    for (std::uint8_t round = 0; round < 2; ++round) {
      p.sending->hold();
      const auto r = record(100 << 10, round);
      co_await asio::async_write(*p.sending, asio::buffer(r), asio::use_awaitable);
      sent += r.size();
      if (round == 0) kept_while_holding = p.sending->buffered_capacity();
      EXPECT_FALSE(co_await p.sending->release());
      (round == 0 ? kept_after_release : kept_after_second_release) = p.sending->buffered_capacity();
    }
  });
  EXPECT_GE(kept_while_holding, std::size_t{100} << 10);
  EXPECT_EQ(kept_after_release, 0u);
  EXPECT_EQ(kept_after_second_release, 0u);
  EXPECT_EQ(p.readable(), sent);
}

TEST(coalescing_socket, without_a_hold_a_write_goes_straight_out) {
  socket_pair p;
  const auto r = record(1000, 3);
  std::size_t readable_after_write = 0;
  run(p, [&]() -> asio::awaitable<void> {
    co_await asio::async_write(*p.sending, asio::buffer(r), asio::use_awaitable);
    readable_after_write = p.readable();
  });
  EXPECT_EQ(readable_after_write, r.size());
  EXPECT_EQ(p.received, r);
}

TEST(coalescing_socket, a_write_made_while_release_sends_follows_what_was_held) {
  socket_pair p;
  // Small socket buffers, so that release() cannot send what is held in one call and is still
  // sending when the next write comes (as a TLS read may write while the write path releases).
  p.sending->socket().set_option(asio::socket_base::send_buffer_size(4096));
  p.peer.set_option(asio::socket_base::receive_buffer_size(4096));
  const auto held = record(64 << 10, 1);
  const auto late = record(5000, 2);
  std::vector<std::uint8_t> expected = held;
  expected.insert(expected.end(), late.begin(), late.end());
  bool late_done = false;
  std::vector<std::uint8_t> got(expected.size());
  run(p, [&]() -> asio::awaitable<void> {
    p.sending->hold();
    co_await asio::async_write(*p.sending, asio::buffer(held), asio::use_awaitable);
    asio::co_spawn(
        p.io,
        [&]() -> asio::awaitable<void> {
          co_await asio::async_write(*p.sending, asio::buffer(late), asio::use_awaitable);
          late_done = true;
        },
        asio::detached);
    asio::co_spawn(
        p.io,
        [&]() -> asio::awaitable<void> { co_await asio::async_read(p.peer, asio::buffer(got), asio::use_awaitable); },
        asio::detached);
    EXPECT_FALSE(co_await p.sending->release());
  });
  EXPECT_TRUE(late_done);
  EXPECT_EQ(got, expected);
}

TEST(coalescing_socket, a_synchronous_read_takes_what_arrived_and_never_waits) {
  socket_pair p;
  const auto r = record(1000, 4);
  asio::write(p.peer, asio::buffer(r));
  std::vector<std::uint8_t> got(4096);
  boost::system::error_code ec;
  std::size_t n = 0;
  while (n < r.size() && !ec) n += p.sending->read_some(asio::buffer(got.data() + n, got.size() - n), ec);
  EXPECT_FALSE(ec);
  ASSERT_EQ(n, r.size());
  EXPECT_TRUE(std::equal(r.begin(), r.end(), got.begin()));
  // Nothing more has arrived: would_block at once (a blocking read would hang the test here).
  EXPECT_EQ(p.sending->read_some(asio::buffer(got), ec), 0u);
  EXPECT_EQ(ec, asio::error::would_block);
}

TEST(coalescing_socket, a_synchronous_write_is_held_behind_what_is_held_and_sent_by_release_or_flush) {
  socket_pair p;
  const auto held = record(20 << 10, 5);
  const auto answer = record(300, 6);  // what a TLS read would write (an alert, a key update)
  const auto later = record(500, 7);
  std::vector<std::uint8_t> expected = held;
  expected.insert(expected.end(), answer.begin(), answer.end());
  expected.insert(expected.end(), later.begin(), later.end());
  bool unsent_during_hold = true;
  bool unsent_outside_hold = false;
  std::size_t readable_before_flush = 1;
  run(p, [&]() -> asio::awaitable<void> {
    p.sending->hold();
    co_await asio::async_write(*p.sending, asio::buffer(held), asio::use_awaitable);
    boost::system::error_code ec;
    EXPECT_EQ(p.sending->write_some(asio::buffer(answer), ec), answer.size());
    EXPECT_FALSE(ec);
    unsent_during_hold = p.sending->unsent_outside_hold();  // the release sends it
    EXPECT_FALSE(co_await p.sending->release());
    EXPECT_EQ(p.sending->write_some(asio::buffer(later), ec), later.size());
    unsent_outside_hold = p.sending->unsent_outside_hold();
    readable_before_flush = p.readable() - held.size() - answer.size();
    EXPECT_FALSE(co_await p.sending->flush());
  });
  EXPECT_FALSE(unsent_during_hold);
  EXPECT_TRUE(unsent_outside_hold);
  EXPECT_EQ(readable_before_flush, 0u);
  p.readable();
  EXPECT_EQ(p.received, expected);
}

}  // namespace
}  // namespace spate::net
