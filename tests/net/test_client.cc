#include "test_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace spate::net::test {

test_client::test_client(std::uint16_t port, std::chrono::seconds timeout) {
  _fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (_fd < 0) throw std::runtime_error("socket() failed");
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(_fd);
    throw std::runtime_error(std::string("connect() failed: ") + std::strerror(err));
  }
}

test_client::~test_client() {
  if (_fd >= 0) ::close(_fd);
}

void test_client::send_raw(base::byte_span bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(_fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ADD_FAILURE() << "send failed: " << std::strerror(errno);
      return;
    }
    sent += static_cast<std::size_t>(n);
  }
}

void test_client::send_frame(base::byte_span payload) {
  base::byte_buffer out;
  append_frame(out, payload);
  send_raw(out);
}

bool test_client::read_exact(std::uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(_fd, out + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

std::optional<base::byte_buffer> test_client::read_frame() {
  std::uint8_t header[4];
  if (!read_exact(header, sizeof header)) return std::nullopt;
  base::byte_buffer payload(base::load_be<std::uint32_t>(header));
  if (!read_exact(payload.data(), payload.size())) return std::nullopt;
  return payload;
}

bool test_client::wait_closed() {
  std::uint8_t sink[4096];
  for (;;) {
    const ssize_t r = ::recv(_fd, sink, sizeof sink, 0);
    if (r > 0) continue;
    if (r == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;  // SO_RCVTIMEO expired
    return true;                                                // ECONNRESET and friends
  }
}

void test_client::shutdown_write() { ::shutdown(_fd, SHUT_WR); }

base::byte_buffer u32_frame(std::uint32_t value) {
  base::byte_buffer out;
  base::append_be<std::uint32_t>(out, value);
  return out;
}

std::uint32_t frame_u32(base::byte_span frame) {
  if (frame.size() < 4) throw std::runtime_error("frame shorter than 4 bytes");
  return base::load_be<std::uint32_t>(frame.data());
}

void append_frame(base::byte_buffer& out, base::byte_span payload) {
  base::append_be<std::uint32_t>(out, static_cast<std::uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace spate::net::test
