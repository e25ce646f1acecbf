#include "cli/tls_client_context.h"

#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>

#include "net/openssl_error.h"

namespace spate::cli {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// OpenSSL 3 reports a missing file as a system error Asio has no text for ("asio.ssl error"), so
// the file system is asked first.
std::string file_error(const char* property, const std::string& file, const error_code& ec) {
  const std::string reason = ::access(file.c_str(), R_OK) != 0 ? std::strerror(errno) : ec.message();
  return std::string("cannot load ") + property + " " + file + ": " + reason;
}

}  // namespace

std::unique_ptr<asio::ssl::context> make_tls_client_context(const tls_client_settings& settings) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    throw tls_error("cannot require TLS 1.2 or later: " + net::take_openssl_error());
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

void expect_server_host(SSL* ssl, const std::string& host, bool verify_host_name) {
  error_code not_an_address;
  (void)asio::ip::make_address(host, not_an_address);
  const bool literal_address = !not_an_address;
  if (!literal_address && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    throw tls_error("cannot set the SNI host name " + host + ": " + net::take_openssl_error());
  }
  if (verify_host_name) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int set = literal_address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                    : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (set != 1) throw tls_error("cannot verify the host name " + host + ": " + net::take_openssl_error());
  }
}

}  // namespace spate::cli
