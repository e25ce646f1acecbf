#include "cli/api_versions_probe.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "protocol/api_key.h"
#include "protocol/error_code.h"
#include "protocol/messages/api_versions.h"
#include "protocol/messages/request_header.h"
#include "protocol/wire.h"

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
    return socket_fd(::dup(fd.get()));
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
      wait_for(fd, POLLOUT, deadline, "sending ApiVersions");
    } else {
      throw std::runtime_error(std::string("sending ApiVersions: ") + std::strerror(errno));
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
      throw std::runtime_error("the broker closed the connection during ApiVersions");
    } else if (errno == EAGAIN || errno == EINTR) {
      wait_for(fd, POLLIN, deadline, "waiting for the ApiVersions response");
    } else {
      throw std::runtime_error(std::string("reading ApiVersions: ") + std::strerror(errno));
    }
  }
}

protocol::api_versions_response exchange(int fd, std::int16_t version, std::int32_t correlation_id,
                                         clock::time_point deadline) {
  protocol::request_header header;
  header.request_api_key = static_cast<std::int16_t>(protocol::api_key::api_versions);
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = "spate-cli";
  protocol::api_versions_request request;
  request.client_software_name = "spate-cli";
  request.client_software_version = "0.1.0";
  base::byte_buffer frame;
  protocol::writer w(frame);
  w.write_int32(0);
  header.encode(w, protocol::request_header_version(protocol::api_key::api_versions, version));
  request.encode(w, version);
  const auto size = static_cast<std::int32_t>(frame.size() - 4);
  base::byte_buffer size_bytes;
  protocol::writer sw(size_bytes);
  sw.write_int32(size);
  std::copy(size_bytes.begin(), size_bytes.end(), frame.begin());
  send_all(fd, frame, deadline);

  std::uint8_t size_prefix[4];
  receive_exactly(fd, size_prefix, sizeof size_prefix, deadline);
  protocol::reader size_reader{base::byte_span(size_prefix, sizeof size_prefix)};
  const auto response_size = size_reader.read_int32();
  if (response_size < 4 || response_size > 16 * 1024 * 1024) throw std::runtime_error("bad ApiVersions response size");
  base::byte_buffer payload(static_cast<std::size_t>(response_size));
  receive_exactly(fd, payload.data(), payload.size(), deadline);
  protocol::reader r{base::byte_span(payload)};
  if (r.read_int32() != correlation_id) throw std::runtime_error("ApiVersions response with a wrong correlation id");
  protocol::api_versions_response response;  // response header v0 for every ApiVersions version
  try {
    response.decode(r, version);
  } catch (const protocol::decode_error&) {
    // A broker that does not speak `version` answers with a v0 body carrying UNSUPPORTED_VERSION.
    protocol::reader again{base::byte_span(payload).subspan(4)};
    response = protocol::api_versions_response{};
    response.decode(again, 0);
  }
  return response;
}

constexpr std::int16_t unsupported_version = 35;

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

std::vector<api_version_range> probe_api_versions(std::string_view address, int timeout_ms) {
  const auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
  std::pair<std::string, std::string> hp;
  try {
    hp = split_host_port(address);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  auto response = [&] {
    const socket_fd fd = connect_to(hp.first, hp.second, deadline);
    return exchange(fd.get(), 3, 1, deadline);
  }();
  if (response.error_code == unsupported_version) {
    const socket_fd fd = connect_to(hp.first, hp.second, deadline);
    response = exchange(fd.get(), 0, 2, deadline);
  }
  if (response.error_code != 0) {
    throw std::runtime_error("ApiVersions error " +
                             std::string(protocol::error_name(static_cast<protocol::error_code>(response.error_code))));
  }
  std::vector<api_version_range> out;
  for (const auto& k : response.api_keys) out.push_back({k.api_key, k.min_version, k.max_version});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.api_key < b.api_key; });
  return out;
}

std::string api_key_name(std::int16_t key) {
  return std::string(protocol::api_name(static_cast<protocol::api_key>(key)));
}

}  // namespace spate::cli
