#include "net/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include <system_error>

#include "net/openssl_error.h"

namespace spate::net {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only. TLS 1.3 keeps OpenSSL's defaults.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// Session resumption with client verification needs a context id; any constant does.
constexpr unsigned char session_id_context[] = "spate";

std::string file_error(const char* what, const std::filesystem::path& file, const boost::system::error_code& ec) {
  return fmt::format("cannot load {} {}: {}", what, file.string(), ec.message());
}

}  // namespace

base::result<std::shared_ptr<const tls_server_context>, std::string> tls_server_context::build(const tls_files& files) {
  if (files.certificate.empty() || files.key.empty()) {
    return base::failure(std::string("a TLS server needs a certificate file and a key file"));
  }
  ssl::context context(ssl::context::tls_server);
  SSL_CTX* native = context.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1) {
    return base::failure(fmt::format("cannot set the TLS protocol policy: {}", take_openssl_error()));
  }
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_id_context(native, session_id_context, sizeof(session_id_context) - 1);
  // Always set: without a callback OpenSSL would prompt on the terminal for an encrypted key.
  context.set_password_callback(
      [password = files.key_password](std::size_t, ssl::context::password_purpose) { return password; });

  boost::system::error_code ec;
  context.use_certificate_chain_file(files.certificate.string(), ec);
  if (ec) return base::failure(file_error("certificate", files.certificate, ec));
  context.use_private_key_file(files.key.string(), ssl::context::pem, ec);
  if ((ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) ||
      (!ec && SSL_CTX_check_private_key(native) != 1)) {
    return base::failure(fmt::format("private key {} does not match certificate {}: {}", files.key.string(),
                                     files.certificate.string(), ec ? ec.message() : take_openssl_error()));
  }
  if (ec) {
    return base::failure(fmt::format("{}{}", file_error("private key", files.key, ec),
                                     files.key_password.empty() ? " (encrypted? set ssl.key.password)" : ""));
  }

  if (files.client_auth != tls_client_auth::none) {
    if (files.ca.empty()) {
      return base::failure(std::string("client certificates are asked for but no CA file is set"));
    }
    context.load_verify_file(files.ca.string(), ec);
    if (ec) return base::failure(file_error("CA file", files.ca, ec));
    // Tells clients which CAs are accepted, so one with several certificates picks the right one.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.string().c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
    context.set_verify_mode(files.client_auth == tls_client_auth::required
                                ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                : ssl::verify_peer);
  } else {
    context.set_verify_mode(ssl::verify_none);
  }
  ERR_clear_error();
  return std::make_shared<const tls_server_context>(std::move(context));
}

base::result<std::shared_ptr<tls_server_credentials>, std::string> tls_server_credentials::load(tls_files files) {
  auto built = tls_server_context::build(files);
  if (!built) return base::failure(built.error());
  return std::make_shared<tls_server_credentials>(std::move(files), std::move(built).value());
}

tls_server_credentials::tls_server_credentials(tls_files files, std::shared_ptr<const tls_server_context> first)
    : _files(std::move(files)), _current(std::move(first)), _last_attempt(stamps()) {}

std::shared_ptr<const tls_server_context> tls_server_credentials::current() const {
  base::mutex_lock lock(_mutex);
  return _current;
}

std::vector<tls_server_credentials::stamp> tls_server_credentials::stamps() const {
  std::vector<stamp> out;
  for (const auto* file : {&_files.certificate, &_files.key, &_files.ca}) {
    stamp s;
    std::error_code ec;
    if (!file->empty()) {
      s.modified = std::filesystem::last_write_time(*file, ec);
      s.size = std::filesystem::file_size(*file, ec);
    }
    out.push_back(s);
  }
  return out;
}

std::optional<std::string> tls_server_credentials::reload() {
  auto now = stamps();
  // Built outside the lock: reading files must not stall accepts.
  auto built = tls_server_context::build(_files);
  base::mutex_lock lock(_mutex);
  _last_attempt = std::move(now);
  if (!built) return built.error();
  _current = std::move(built).value();
  return std::nullopt;
}

tls_server_credentials::change tls_server_credentials::reload_if_changed(std::string& error) {
  const auto now = stamps();
  {
    base::mutex_lock lock(_mutex);
    if (now == _last_attempt) return change::unchanged;
  }
  if (auto failed = reload()) {
    error = std::move(*failed);
    return change::failed;
  }
  return change::reloaded;
}

std::optional<std::string> verified_peer_subject(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  std::optional<std::string> subject;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    BIO* out = BIO_new(BIO_s_mem());
    // RFC 2253 as Java prints it: most specific RDN first, non-ASCII characters as UTF-8 rather
    // than \XX escapes.
    if (out != nullptr &&
        X509_NAME_print_ex(out, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
      char* data = nullptr;
      const long size = BIO_get_mem_data(out, &data);
      subject.emplace(data, static_cast<std::size_t>(size));
    }
    BIO_free(out);
  }
  X509_free(cert);
  return subject;
}

std::string handshake_failure_reason(SSL* ssl, const std::string& error_message) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return fmt::format("{} (client certificate: {})", error_message, X509_verify_cert_error_string(verify));
  }
  return error_message;
}

}  // namespace spate::net
