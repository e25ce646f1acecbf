#include "cli/kafka_connection.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "protocol/messages/request_header.h"

namespace spate::cli {

namespace {

using clock = std::chrono::steady_clock;

class socket_fd {
 public:
  explicit socket_fd(int fd) : _fd(fd) {}
  ~socket_fd() {
    if (_fd >= 0) ::close(_fd);
  }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  int get() const { return _fd; }
  int release() { return std::exchange(_fd, -1); }

 private:
  int _fd;
};

int remaining_ms(clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  return static_cast<int>(std::max<std::int64_t>(0, left));
}

void wait_for(int fd, short events, clock::time_point deadline, const char* what) {
  pollfd p{fd, events, 0};
  while (true) {
    const int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return;
    if (rc == 0) throw std::runtime_error(std::string("timed out ") + what);
    if (errno != EINTR) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
  }
}

socket_fd connect_to(const std::string& host, const std::string& port, clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) throw std::runtime_error("resolving " + host + ": " + ::gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    socket_fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) continue;
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = std::strerror(errno);
        continue;
      }
      wait_for(fd.get(), POLLOUT, deadline, "connecting");
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = std::strerror(err);
        continue;
      }
    }
    ::freeaddrinfo(found);
    return socket_fd(fd.release());
  }
  ::freeaddrinfo(found);
  throw std::runtime_error("connecting to " + host + ":" + port + ": " + last);
}

void send_all(int fd, const base::byte_buffer& data, clock::time_point deadline) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      wait_for(fd, POLLOUT, deadline, "sending a request");
    } else {
      throw std::runtime_error(std::string("sending a request: ") + std::strerror(errno));
    }
  }
}

void receive_exactly(int fd, std::uint8_t* out, std::size_t size, clock::time_point deadline) {
  std::size_t got = 0;
  while (got < size) {
    const auto n = ::recv(fd, out + got, size - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0) {
      throw std::runtime_error("the broker closed the connection");
    } else if (errno == EAGAIN || errno == EINTR) {
      wait_for(fd, POLLIN, deadline, "waiting for a response");
    } else {
      throw std::runtime_error(std::string("reading a response: ") + std::strerror(errno));
    }
  }
}

constexpr std::int32_t max_response_bytes = 64 * 1024 * 1024;

}  // namespace

std::pair<std::string, std::string> split_host_port(std::string_view address) {
  if (const auto scheme = address.find("://"); scheme != std::string_view::npos) address = address.substr(scheme + 3);
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == address.size()) {
    throw std::invalid_argument("expected HOST:PORT, got '" + std::string(address) + "'");
  }
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {std::string(host), std::string(address.substr(colon + 1))};
}

kafka_connection::kafka_connection(std::string_view address, std::chrono::milliseconds timeout)
    : _deadline(clock::now() + timeout) {
  std::pair<std::string, std::string> host_port;
  try {
    host_port = split_host_port(address);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  _fd = connect_to(host_port.first, host_port.second, _deadline).release();
}

kafka_connection::~kafka_connection() {
  if (_fd >= 0) ::close(_fd);
}

base::byte_buffer kafka_connection::round_trip(protocol::api_key key, std::int16_t version,
                                               const base::byte_buffer& body) {
  protocol::request_header header;
  header.request_api_key = static_cast<std::int16_t>(key);
  header.request_api_version = version;
  header.correlation_id = ++_correlation_id;
  header.client_id = "spate-cli";
  base::byte_buffer frame;
  protocol::writer w(frame);
  w.write_int32(0);  // the size, patched below
  header.encode(w, protocol::request_header_version(key, version));
  frame.insert(frame.end(), body.begin(), body.end());
  const auto size = static_cast<std::uint32_t>(frame.size() - 4);
  for (int i = 0; i < 4; ++i) frame[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(size >> (24 - 8 * i));
  send_all(_fd, frame, _deadline);

  std::uint8_t size_prefix[4];
  receive_exactly(_fd, size_prefix, sizeof size_prefix, _deadline);
  protocol::reader size_reader{base::byte_span(size_prefix, sizeof size_prefix)};
  const auto response_size = size_reader.read_int32();
  if (response_size < 4 || response_size > max_response_bytes) {
    throw std::runtime_error("a response of " + std::to_string(response_size) + " bytes");
  }
  base::byte_buffer payload(static_cast<std::size_t>(response_size));
  receive_exactly(_fd, payload.data(), payload.size(), _deadline);
  return payload;
}

void kafka_connection::skip_response_header(protocol::reader& r, protocol::api_key key, std::int16_t version) const {
  if (r.read_int32() != _correlation_id) throw std::runtime_error("a response with a wrong correlation id");
  if (protocol::response_header_version(key, version) >= 1) {
    std::vector<protocol::tagged_field> ignored;
    r.read_unknown_tagged_fields(ignored);
  }
}

}  // namespace spate::cli
