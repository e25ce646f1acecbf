#include "cli/kafka_transport.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <utility>

#include "cli/tls_client_context.h"
#include "net/transfer_condition.h"

namespace spate::cli {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

bool closed_by_peer(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset;
}

}  // namespace

kafka_transport::kafka_transport(const std::string& host, const std::string& port,
                                 const std::optional<tls_client_settings>& tls, clock::time_point deadline)
    : _deadline(deadline), _stream(std::in_place_type<asio::ip::tcp::socket>, _io) {
  if (tls) _tls_context = make_tls_client_context(*tls);
  const std::string address = host + ":" + port;
  error_code ec;
  asio::ip::tcp::resolver resolver(_io);
  const auto endpoints = resolver.resolve(host, port, ec);
  if (ec) throw std::runtime_error("resolving " + host + ": " + ec.message());
  bool done = false;
  asio::async_connect(socket(), endpoints, [&](const error_code& e, const asio::ip::tcp::endpoint&) {
    ec = e;
    done = true;
  });
  run_until_done(done, "connecting");
  if (ec) throw std::runtime_error("connecting to " + address + ": " + ec.message());
  if (!tls) return;
  // variant::emplace destroys the plain socket before building the stream: move it out first.
  asio::ip::tcp::socket plain = std::move(std::get<asio::ip::tcp::socket>(_stream));
  _stream.emplace<tls_stream>(std::move(plain), *_tls_context);
  handshake(host, address, tls->verify_host_name);
}

// No TLS close_notify on the way out: Asio's shutdown waits for the broker's answer, which would
// cost a round trip per command; the broker takes a truncated stream as a normal disconnect.
kafka_transport::~kafka_transport() = default;

asio::ip::tcp::socket& kafka_transport::socket() {
  if (auto* tls = std::get_if<tls_stream>(&_stream)) return tls->next_layer();
  return std::get<asio::ip::tcp::socket>(_stream);
}

void kafka_transport::handshake(const std::string& host, const std::string& address, bool verify_host_name) {
  auto& tls = std::get<tls_stream>(_stream);
  SSL* ssl = tls.native_handle();
  expect_server_host(ssl, host, verify_host_name);
  error_code ec;
  bool done = false;
  tls.async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) {
    ec = e;
    done = true;
  });
  run_until_done(done, "in the SSL handshake");
  if (!ec) return;
  std::string reason = closed_by_peer(ec) ? "the broker closed the connection (is it a TLS listener?)" : ec.message();
  if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
    reason += std::string(": ") + X509_verify_cert_error_string(verify);
  }
  throw tls_error("SSL handshake with " + address + " failed: " + reason);
}

void kafka_transport::write_all(const std::uint8_t* data, std::size_t size, const char* what) {
  error_code ec;
  bool done = false;
  std::visit(
      [&](auto& stream) {
        asio::async_write(stream, asio::buffer(data, size), net::as_much_as_each_call_moves{},
                          [&](const error_code& e, std::size_t) {
                            ec = e;
                            done = true;
                          });
      },
      _stream);
  run_until_done(done, what);
  if (ec) throw std::runtime_error(std::string(what) + ": " + ec.message());
}

void kafka_transport::read_exactly(std::uint8_t* out, std::size_t size, const char* what) {
  error_code ec;
  bool done = false;
  std::visit(
      [&](auto& stream) {
        asio::async_read(stream, asio::buffer(out, size), net::as_much_as_each_call_moves{},
                         [&](const error_code& e, std::size_t) {
                           ec = e;
                           done = true;
                         });
      },
      _stream);
  run_until_done(done, what);
  if (closed_by_peer(ec)) throw std::runtime_error("the broker closed the connection");
  if (ec) throw std::runtime_error(std::string(what) + ": " + ec.message());
}

void kafka_transport::run_until_done(const bool& done, const char* what) {
  _io.restart();
  while (!done) {
    if (_io.run_one_until(_deadline) == 0) break;  // the deadline passed
  }
  if (done) return;
  error_code ignored;
  socket().close(ignored);  // aborts the operation; its handler runs below, before `done` goes away
  _io.restart();
  _io.run();
  throw std::runtime_error(std::string("timed out ") + what);
}

}  // namespace spate::cli
