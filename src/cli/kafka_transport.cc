#include "cli/kafka_transport.h"

#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

namespace spate::cli {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// OpenSSL 3 reports a missing file as a system error Asio has no text for ("asio.ssl error"), so
// the file system is asked first.
std::string file_error(const char* property, const std::string& file, const error_code& ec) {
  const std::string reason = ::access(file.c_str(), R_OK) != 0 ? std::strerror(errno) : ec.message();
  return std::string("cannot load ") + property + " " + file + ": " + reason;
}

// Reads every file before any connection is made, so a wrong path fails without a network round
// trip and names the -X property to fix.
std::unique_ptr<asio::ssl::context> make_context(const tls_client_settings& settings) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    throw tls_error("cannot require TLS 1.2 or later: " + openssl_reason());
  }
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
  // Always set: without a callback OpenSSL would prompt on the terminal for an encrypted key.
  context->set_password_callback(
      [password = settings.key_password](std::size_t, asio::ssl::context::password_purpose) { return password; });
  error_code ec;
  if (settings.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) throw tls_error("cannot load the system trust store: " + ec.message());
  } else {
    context->load_verify_file(settings.ca_file, ec);
    if (ec) throw tls_error(file_error("ssl.ca.location", settings.ca_file, ec));
  }
  if (!settings.certificate_file.empty()) {
    context->use_certificate_chain_file(settings.certificate_file, ec);
    if (ec) throw tls_error(file_error("ssl.certificate.location", settings.certificate_file, ec));
    context->use_private_key_file(settings.key_file, asio::ssl::context::pem, ec);
    if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
      throw tls_error("ssl.key.location " + settings.key_file + " is not the key of ssl.certificate.location " +
                      settings.certificate_file);
    }
    if (ec) {
      throw tls_error(file_error("ssl.key.location", settings.key_file, ec) +
                      (settings.key_password.empty() ? " (encrypted? set ssl.key.password)" : ""));
    }
  }
  context->set_verify_mode(settings.verify_certificate ? asio::ssl::verify_peer : asio::ssl::verify_none);
  ERR_clear_error();
  return context;
}

bool closed_by_peer(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset;
}

}  // namespace

kafka_transport::kafka_transport(const std::string& host, const std::string& port,
                                 const std::optional<tls_client_settings>& tls, clock::time_point deadline)
    : _deadline(deadline), _stream(std::in_place_type<asio::ip::tcp::socket>, _io) {
  if (tls) _tls_context = make_context(*tls);
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
  error_code ec;
  asio::ip::make_address(host, ec);
  const bool literal_address = !ec;
  // SNI names hosts only: RFC 6066 forbids a literal address there.
  if (!literal_address && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    throw tls_error("cannot set the SNI host name " + host + ": " + openssl_reason());
  }
  if (verify_host_name) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int set = literal_address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                    : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (set != 1) throw tls_error("cannot verify the host name " + host + ": " + openssl_reason());
  }
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
        asio::async_write(stream, asio::buffer(data, size), [&](const error_code& e, std::size_t) {
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
        asio::async_read(stream, asio::buffer(out, size), [&](const error_code& e, std::size_t) {
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
