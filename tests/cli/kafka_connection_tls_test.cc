// kafka_connection's TLS failures against a real local TCP peer that does not speak TLS; the
// successful handshakes are tests/e2e/test_cli_tls.py's, against the broker's TLS listeners.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cli/kafka_connection.h"

namespace spate::cli {
namespace {

// A loopback listener whose one accepted connection gets `reply` (maybe nothing) and is then held
// open until the test ends.
class plain_peer {
 public:
  explicit plain_peer(std::string reply) : _reply(std::move(reply)) {
    _listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(_listener, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::listen(_listener, 1), 0);
    EXPECT_EQ(::getsockname(_listener, reinterpret_cast<sockaddr*>(&address), &size), 0);
    _port = ntohs(address.sin_port);
    _thread = std::thread([this] {
      _peer = ::accept(_listener, nullptr, nullptr);
      if (_peer >= 0 && !_reply.empty()) (void)::send(_peer, _reply.data(), _reply.size(), MSG_NOSIGNAL);
    });
  }
  ~plain_peer() {
    ::shutdown(_listener, SHUT_RDWR);  // ends an accept() that never got a connection
    _thread.join();
    if (_peer >= 0) ::close(_peer);
    ::close(_listener);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(_port); }

 private:
  std::string _reply;
  int _listener = -1;
  int _peer = -1;
  int _port = 0;
  std::thread _thread;
};

std::string failure_of(const std::string& address, std::chrono::milliseconds timeout, const tls_client_settings& tls) {
  try {
    kafka_connection connection(address, timeout, tls);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no failure";
}

TEST(kafka_connection_tls, a_peer_that_answers_in_plain_text_fails_the_handshake_with_one_line) {
  plain_peer peer("HTTP/1.0 400 Bad Request\r\n\r\n");
  const auto why = failure_of(peer.address(), std::chrono::seconds(5), tls_client_settings{});
  EXPECT_EQ(why.find("SSL handshake with " + peer.address() + " failed: "), 0u) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
}

TEST(kafka_connection_tls, a_silent_peer_times_the_handshake_out) {
  plain_peer peer("");
  const auto started = std::chrono::steady_clock::now();
  const auto why = failure_of(peer.address(), std::chrono::milliseconds(300), tls_client_settings{});
  EXPECT_EQ(why, "timed out in the SSL handshake");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(kafka_connection_tls, an_unreadable_ca_file_is_named_before_connecting) {
  tls_client_settings tls;
  tls.ca_file = "/nonexistent/ca.pem";
  try {
    kafka_connection connection("127.0.0.1:1", std::chrono::seconds(5), tls);
    FAIL() << "expected an error";
  } catch (const tls_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load ssl.ca.location /nonexistent/ca.pem: No such file or directory"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace spate::cli
