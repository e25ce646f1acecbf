// The admin HTTP server over TLS on an ephemeral port: a request over HTTPS, the verified client
// certificate's subject handed to the handler, refused handshakes that close only their own
// connection, and a reloaded certificate serving new connections. Certificates are made at test
// time (tests/net/test_certs.h); the client is Beast's blocking ssl_stream.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "admin/http_server.h"
#include "net/tls_context.h"
#include "test_certs.h"

namespace spate::admin {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using net::test::temp_dir;
using net::test::test_identity;

struct pki {
  temp_dir dir;
  test_identity ca{{.subject = {{"O", "Spate Test"}, {"CN", "test-ca"}}, .is_ca = true}, nullptr};
  test_identity server{{.subject = {{"CN", "admin-1"}}, .ip_addresses = {"127.0.0.1"}}, &ca};
  test_identity alice{{.subject = {{"O", "Acme"}, {"CN", "alice"}}}, &ca};
  fs::path ca_file = ca.write(dir.path(), "ca").first;

  net::tls_files files(net::tls_client_auth auth) const {
    const auto [crt, key] = server.write(dir.path(), "server");
    return {.certificate = crt, .key = key, .ca = ca_file, .client_auth = auth};
  }
  std::pair<fs::path, fs::path> identity(const test_identity& who, const std::string& name) const {
    return who.write(dir.path(), name);
  }
};

// A server whose handler answers with the client certificate's subject ("-" without one).
struct https_server {
  std::shared_ptr<net::tls_server_credentials> credentials;
  http_server server;

  explicit https_server(const net::tls_files& files)
      : credentials(net::tls_server_credentials::load(files).value()),
        server({.host = "127.0.0.1", .port = 0, .request_timeout = std::chrono::milliseconds(2000), .tls = credentials},
               [](http_request request) -> asio::awaitable<http_response> {
                 co_return http_response{.body = request.client_certificate_subject.value_or("-")};
               }) {
    server.start();
  }
};

struct outcome {
  std::optional<std::string> body;  // nullopt: no answer
  std::string error;                // why not
  std::string server_common_name;
};

// One GET over TLS trusting `ca`, presenting `identity` when given.
outcome https_get(std::uint16_t port, const fs::path& ca, std::optional<std::pair<fs::path, fs::path>> identity = {}) {
  asio::io_context ioc;
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(ca.string());
  context.set_verify_mode(ssl::verify_peer);
  if (identity) {
    context.use_certificate_chain_file(identity->first.string());
    context.use_private_key_file(identity->second.string(), ssl::context::pem);
  }
  boost::beast::ssl_stream<tcp::socket> stream(ioc, context);
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  outcome out;
  boost::system::error_code ec;
  stream.handshake(ssl::stream_base::client, ec);
  if (!ec) {
    X509* cert = SSL_get1_peer_certificate(stream.native_handle());
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    out.server_common_name = cn;
    http::request<http::empty_body> request{http::verb::get, "/who", 11};
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request, ec);
  }
  if (!ec) {
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response, ec);
    if (!ec) out.body = response.body();
  }
  out.error = ec.message();
  return out;
}

TEST(https_server, answers_over_tls_without_asking_for_a_client_certificate) {
  pki p;
  https_server s(p.files(net::tls_client_auth::none));
  const auto got = https_get(s.server.bound_port(), p.ca_file);
  ASSERT_TRUE(got.body) << got.error;
  EXPECT_EQ(*got.body, "-");
  EXPECT_EQ(got.server_common_name, "admin-1");
}

TEST(https_server, hands_the_verified_client_subject_to_the_handler) {
  pki p;
  https_server s(p.files(net::tls_client_auth::required));
  const auto got = https_get(s.server.bound_port(), p.ca_file, p.identity(p.alice, "alice"));
  ASSERT_TRUE(got.body) << got.error;
  EXPECT_EQ(*got.body, "CN=alice,O=Acme");
}

TEST(https_server, refuses_a_missing_or_untrusted_client_certificate_and_keeps_serving) {
  pki p;
  https_server s(p.files(net::tls_client_auth::required));
  EXPECT_FALSE(https_get(s.server.bound_port(), p.ca_file).body);
  test_identity stranger_ca{{.subject = {{"CN", "other-ca"}}, .is_ca = true}, nullptr};
  test_identity mallory{{.subject = {{"CN", "mallory"}}}, &stranger_ca};
  EXPECT_FALSE(https_get(s.server.bound_port(), p.ca_file, p.identity(mallory, "mallory")).body);
  EXPECT_TRUE(https_get(s.server.bound_port(), p.ca_file, p.identity(p.alice, "alice")).body);
}

TEST(https_server, closes_a_plaintext_client_and_keeps_serving) {
  pki p;
  https_server s(p.files(net::tls_client_auth::none));
  asio::io_context ioc;
  tcp::socket plain(ioc);
  plain.connect({asio::ip::make_address("127.0.0.1"), s.server.bound_port()});
  const std::string request = "GET /who HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(plain, asio::buffer(request));
  std::string answer(64, '\0');
  boost::system::error_code ec;
  const auto n = plain.read_some(asio::buffer(answer), ec);
  // Whatever OpenSSL sends back is an alert, never an HTTP answer; then the connection ends.
  EXPECT_FALSE(std::string_view(answer.data(), n).starts_with("HTTP/"));
  if (!ec) {
    while (!ec) plain.read_some(asio::buffer(answer), ec);
  }
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_TRUE(https_get(s.server.bound_port(), p.ca_file).body);
}

TEST(https_server, a_reloaded_certificate_serves_new_connections) {
  pki p;
  https_server s(p.files(net::tls_client_auth::none));
  ASSERT_EQ(https_get(s.server.bound_port(), p.ca_file).server_common_name, "admin-1");
  test_identity renewed{{.subject = {{"CN", "admin-2"}}, .ip_addresses = {"127.0.0.1"}}, &p.ca};
  renewed.write(p.dir.path(), "server");
  ASSERT_FALSE(s.credentials->reload());
  EXPECT_EQ(https_get(s.server.bound_port(), p.ca_file).server_common_name, "admin-2");
}

}  // namespace
}  // namespace spate::admin
