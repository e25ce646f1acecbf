// TLS listeners against real sockets on 127.0.0.1: the handshake, client certificates, a plaintext
// client on a TLS port, the handshake timeout and certificate reload. Certificates are made at test
// time (test_certs.h); the client is Asio's blocking ssl::stream.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "net/server.h"
#include "net/tls_context.h"
#include "test_certs.h"
#include "test_client.h"

namespace spate::net {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using base::byte_buffer;
using response = std::optional<base::spliced_buffer>;
using test::temp_dir;
using test::test_identity;

// A CA, a server certificate for 127.0.0.1 it signs, and client certificates, as files in a temp dir.
struct pki {
  temp_dir dir;
  test_identity ca{{.subject = {{"O", "Spate Test"}, {"CN", "test-ca"}}, .is_ca = true}, nullptr};
  test_identity server{{.subject = {{"CN", "server-1"}}, .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}},
                       &ca};
  test_identity alice{{.subject = {{"O", "Acme"}, {"OU", "eng"}, {"CN", "alice"}}}, &ca};
  fs::path ca_file = ca.write(dir.path(), "ca").first;

  tls_files files(tls_client_auth auth = tls_client_auth::none) const {
    const auto [crt, key] = server.write(dir.path(), "server");
    return {.certificate = crt, .key = key, .ca = ca_file, .client_auth = auth};
  }
};

// A blocking TLS client that trusts `ca` and optionally presents a certificate.
class tls_client {
 public:
  // `max_version`: the newest protocol the client offers (TLS1_3_VERSION, TLS1_2_VERSION, ...).
  tls_client(std::uint16_t port, const fs::path& ca, std::optional<std::pair<fs::path, fs::path>> identity = {},
             int max_version = TLS1_3_VERSION)
      : _tls(client_context(ca, identity, max_version)), _stream(_ctx, _tls) {
    _stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  }

  boost::system::error_code handshake() {
    boost::system::error_code ec;
    _stream.handshake(ssl::stream_base::client, ec);
    return ec;
  }

  // Sends `text` as one frame and returns the response frame's text; nullopt when the server closed.
  std::optional<std::string> round_trip(const std::string& text) {
    byte_buffer out;
    test::append_frame(out, base::byte_span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    boost::system::error_code ec;
    asio::write(_stream, asio::buffer(out), ec);
    if (ec) return std::nullopt;
    std::uint8_t prefix[4];
    asio::read(_stream, asio::buffer(prefix), ec);
    if (ec) return std::nullopt;
    std::string in(base::load_be<std::uint32_t>(prefix), '\0');
    asio::read(_stream, asio::buffer(in), ec);
    if (ec) return std::nullopt;
    return in;
  }

  // The common name of the server's certificate.
  std::string server_common_name() {
    X509* cert = SSL_get1_peer_certificate(_stream.native_handle());
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }

  std::string protocol() { return SSL_get_version(_stream.native_handle()); }
  std::string cipher() { return SSL_get_cipher_name(_stream.native_handle()); }

 private:
  // Configured before the stream is made: SSL_new copies the context's certificate and settings.
  static ssl::context client_context(const fs::path& ca, const std::optional<std::pair<fs::path, fs::path>>& identity,
                                     int max_version) {
    ssl::context tls(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(tls.native_handle(), max_version);
    // OpenSSL 3 refuses TLS 1.0/1.1 at its default security level; this client must be able to offer them.
    SSL_CTX_set_security_level(tls.native_handle(), 0);
    tls.load_verify_file(ca.string());
    tls.set_verify_mode(ssl::verify_peer);
    if (identity) {
      tls.use_certificate_chain_file(identity->first.string());
      tls.use_private_key_file(identity->second.string(), ssl::context::pem);
    }
    return tls;
  }

  asio::io_context _ctx;
  ssl::context _tls;
  ssl::stream<asio::ip::tcp::socket> _stream;
};

// Answers each frame with the connection's verified client subject, or "-" without one; "echo:"
// frames are echoed.
frame_handler subject_handler() {
  return [](const connection_info& c, base::byte_span frame) -> asio::awaitable<response> {
    std::string text(frame.begin(), frame.end());
    if (!text.starts_with("echo:")) text = c.peer_certificate_subject.value_or("-");
    co_return byte_buffer(text.begin(), text.end());
  };
}

struct tls_server {
  explicit tls_server(std::shared_ptr<tls_server_credentials> tls,
                      std::chrono::milliseconds handshake_timeout = std::chrono::milliseconds(10000))
      : server(make_config(std::move(tls), handshake_timeout), subject_handler()) {
    server.start();
  }
  static server_config make_config(std::shared_ptr<tls_server_credentials> tls, std::chrono::milliseconds timeout) {
    server_config c;
    c.listeners = {{"PLAIN", "127.0.0.1", 0, nullptr}, {"SSL", "127.0.0.1", 0, std::move(tls)}};
    c.threads = 2;
    c.tls_handshake_timeout = timeout;
    return c;
  }
  std::uint16_t plain_port() const { return server.bound_port(0); }
  std::uint16_t tls_port() const { return server.bound_port(1); }
  net::server server;
};

std::shared_ptr<tls_server_credentials> load(const tls_files& files) {
  auto loaded = tls_server_credentials::load(files);
  EXPECT_TRUE(loaded.has_value()) << loaded.error();
  return std::move(loaded).value();
}

TEST(net_tls, serves_frames_over_tls_1_3_next_to_a_plaintext_listener) {
  pki p;
  tls_server s(load(p.files()));
  tls_client c(s.tls_port(), p.ca_file);
  ASSERT_FALSE(c.handshake());
  EXPECT_EQ(c.protocol(), "TLSv1.3");
  EXPECT_EQ(c.round_trip("echo:hello"), "echo:hello");
  EXPECT_EQ(c.round_trip(std::string(100000, 'x').insert(0, "echo:")).value().size(), 100005u);
  // Larger than the socket buffers: many TLS records per read and write, ending part-way.
  const auto large = std::string(6u << 20, 'y').insert(0, "echo:");
  EXPECT_EQ(c.round_trip(large), large);
  EXPECT_EQ(c.round_trip("who"), "-");  // no client certificate
  test::test_client plain(s.plain_port());
  const std::string echo = "echo:plain";
  plain.send_frame(base::byte_span(reinterpret_cast<const std::uint8_t*>(echo.data()), echo.size()));
  const auto answer = plain.read_frame().value();
  EXPECT_EQ(std::string(answer.begin(), answer.end()), echo);
}

TEST(net_tls, speaks_tls_1_2_with_an_ecdhe_aead_suite_and_refuses_older_protocols) {
  pki p;
  tls_server s(load(p.files()));
  tls_client tls12(s.tls_port(), p.ca_file, {}, TLS1_2_VERSION);
  ASSERT_FALSE(tls12.handshake());
  EXPECT_EQ(tls12.protocol(), "TLSv1.2");
  EXPECT_TRUE(tls12.cipher().starts_with("ECDHE-")) << tls12.cipher();
  EXPECT_EQ(tls12.round_trip("echo:1.2"), "echo:1.2");
  tls_client tls11(s.tls_port(), p.ca_file, {}, TLS1_1_VERSION);
  EXPECT_TRUE(tls11.handshake());
}

TEST(net_tls, reports_the_verified_client_certificate_subject_in_rfc_2253_form) {
  pki p;
  tls_server s(load(p.files(tls_client_auth::required)));
  tls_client c(s.tls_port(), p.ca_file, p.alice.write(p.dir.path(), "alice"));
  ASSERT_FALSE(c.handshake());
  EXPECT_EQ(c.round_trip("who"), "CN=alice,OU=eng,O=Acme");
}

TEST(net_tls, required_client_auth_refuses_a_client_without_or_with_an_untrusted_certificate) {
  pki p;
  tls_server s(load(p.files(tls_client_auth::required)));
  {
    tls_client c(s.tls_port(), p.ca_file);
    // TLS 1.3: the client learns of the refusal at its first read.
    const bool refused = c.handshake() || !c.round_trip("who").has_value();
    EXPECT_TRUE(refused);
  }
  test_identity other_ca({.subject = {{"CN", "other-ca"}}, .is_ca = true}, nullptr);
  test_identity mallory({.subject = {{"CN", "mallory"}}}, &other_ca);
  {
    tls_client c(s.tls_port(), p.ca_file, mallory.write(p.dir.path(), "mallory"));
    const bool refused = c.handshake() || !c.round_trip("who").has_value();
    EXPECT_TRUE(refused);
  }
  tls_client good(s.tls_port(), p.ca_file, p.alice.write(p.dir.path(), "alice"));
  ASSERT_FALSE(good.handshake());
  EXPECT_EQ(good.round_trip("who"), "CN=alice,OU=eng,O=Acme");
  // Both refusals are counted (for spate_tls_handshake_failures_total); the good handshake is not.
  // The server counts when it has seen the failure, which may be after the client has.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (s.server.tls_handshake_failures() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(s.server.tls_handshake_failures(), 2u);
}

TEST(net_tls, requested_client_auth_lets_a_client_without_a_certificate_in) {
  pki p;
  tls_server s(load(p.files(tls_client_auth::requested)));
  tls_client anonymous(s.tls_port(), p.ca_file);
  ASSERT_FALSE(anonymous.handshake());
  EXPECT_EQ(anonymous.round_trip("who"), "-");
  tls_client alice(s.tls_port(), p.ca_file, p.alice.write(p.dir.path(), "alice"));
  ASSERT_FALSE(alice.handshake());
  EXPECT_EQ(alice.round_trip("who"), "CN=alice,OU=eng,O=Acme");
}

TEST(net_tls, a_plaintext_request_on_a_tls_port_is_closed_at_once_and_others_are_unaffected) {
  pki p;
  tls_server s(load(p.files()));
  tls_client good(s.tls_port(), p.ca_file);
  ASSERT_FALSE(good.handshake());
  test::test_client plain(s.tls_port(), std::chrono::seconds(2));
  // An ApiVersions-like frame: size, api key 18, version 3, correlation id.
  plain.send_frame(byte_buffer{0, 18, 0, 3, 0, 0, 0, 1});
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(plain.wait_closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(good.round_trip("echo:still here"), "echo:still here");
}

TEST(net_tls, a_client_that_never_completes_the_handshake_is_closed_after_the_timeout) {
  pki p;
  tls_server s(load(p.files()), 200ms);
  test::test_client silent(s.tls_port(), std::chrono::seconds(5));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.wait_closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(net_tls, a_reload_serves_new_connections_the_new_certificate_and_keeps_open_ones) {
  pki p;
  auto credentials = load(p.files());
  tls_server s(credentials);
  tls_client before(s.tls_port(), p.ca_file);
  ASSERT_FALSE(before.handshake());
  EXPECT_EQ(before.server_common_name(), "server-1");

  test_identity renewed({.subject = {{"CN", "server-2"}}, .ip_addresses = {"127.0.0.1"}}, &p.ca);
  renewed.write(p.dir.path(), "server");  // over the files the credentials were loaded from
  std::string error;
  EXPECT_EQ(credentials->reload_if_changed(error), tls_server_credentials::change::reloaded) << error;
  EXPECT_EQ(credentials->reload_if_changed(error), tls_server_credentials::change::unchanged);

  tls_client after(s.tls_port(), p.ca_file);
  ASSERT_FALSE(after.handshake());
  EXPECT_EQ(after.server_common_name(), "server-2");
  EXPECT_EQ(before.round_trip("echo:old connection"), "echo:old connection");

  // A bad file: the reload fails once, and the last good certificate stays in use.
  std::ofstream(credentials->files().key) << "not a key";
  EXPECT_EQ(credentials->reload_if_changed(error), tls_server_credentials::change::failed);
  EXPECT_NE(error.find("private key"), std::string::npos) << error;
  EXPECT_EQ(credentials->reload_if_changed(error), tls_server_credentials::change::unchanged);
  tls_client still(s.tls_port(), p.ca_file);
  ASSERT_FALSE(still.handshake());
  EXPECT_EQ(still.server_common_name(), "server-2");
}

TEST(net_tls, context_build_errors_name_the_file_and_an_encrypted_key_needs_its_password) {
  pki p;
  auto files = p.files();
  files.key = p.dir.path() / "missing.key";
  auto built = tls_server_context::build(files);
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().find("missing.key"), std::string::npos) << built.error();

  files = p.files();
  files.key = p.alice.write(p.dir.path(), "alice").second;
  built = tls_server_context::build(files);
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().find("does not match"), std::string::npos) << built.error();

  files = p.files();
  files.key = p.server.write(p.dir.path(), "encrypted", "s3cret").second;
  built = tls_server_context::build(files);
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().find("ssl.key.password"), std::string::npos) << built.error();
  files.key_password = "wrong";
  EXPECT_FALSE(tls_server_context::build(files));
  files.key_password = "s3cret";
  EXPECT_TRUE(tls_server_context::build(files));

  files = p.files(tls_client_auth::required);
  files.ca.clear();
  built = tls_server_context::build(files);
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().find("CA"), std::string::npos) << built.error();
}

}  // namespace
}  // namespace spate::net
