#include "test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace spate::net::test {

struct test_identity::impl {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

test_identity::test_identity(const options& o, const test_identity* issuer) : _impl(std::make_unique<impl>()) {
  static std::atomic<long> serial{1};
  _impl->key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  check(_impl->key != nullptr, "keygen");
  X509* cert = _impl->cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial.fetch_add(1) + static_cast<long>(::getpid()) * 1000);
  X509_gmtime_adj(X509_getm_notBefore(cert), o.valid_from_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(cert), o.valid_to_days * 86400L);
  X509_set_pubkey(cert, _impl->key);
  X509_NAME* name = X509_get_subject_name(cert);
  for (const auto& [field, value] : o.subject) {
    check(X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) == 1,
          "subject");
  }
  X509* issuer_cert = issuer != nullptr ? issuer->_impl->cert : cert;
  EVP_PKEY* issuer_key = issuer != nullptr ? issuer->_impl->key : _impl->key;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  if (o.is_ca) {
    add_extension(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert, issuer_cert, NID_basic_constraints, "CA:FALSE");
  }
  std::string san;
  for (const auto& dns : o.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : o.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  if (!san.empty()) add_extension(cert, issuer_cert, NID_subject_alt_name, san);
  check(X509_sign(cert, issuer_key, EVP_sha256()) > 0, "sign");
}

test_identity::~test_identity() {
  X509_free(_impl->cert);
  EVP_PKEY_free(_impl->key);
}

std::pair<std::filesystem::path, std::filesystem::path> test_identity::write(const std::filesystem::path& dir,
                                                                             const std::string& name,
                                                                             const std::string& password) const {
  const auto crt = dir / (name + ".crt");
  const auto key = dir / (name + ".key");
  FILE* f = std::fopen(crt.c_str(), "w");
  check(f != nullptr && PEM_write_X509(f, _impl->cert) == 1, "write certificate");
  std::fclose(f);
  f = std::fopen(key.c_str(), "w");
  check(f != nullptr, "open key file");
  std::string pass = password;  // OpenSSL's signature takes a mutable buffer
  const bool ok = pass.empty() ? PEM_write_PrivateKey(f, _impl->key, nullptr, nullptr, 0, nullptr, nullptr) == 1
                               : PEM_write_PKCS8PrivateKey(f, _impl->key, EVP_aes_256_cbc(), pass.data(),
                                                           static_cast<int>(pass.size()), nullptr, nullptr) == 1;
  std::fclose(f);
  check(ok, "write key");
  return {crt, key};
}

temp_dir::temp_dir() {
  std::random_device random;
  _path = std::filesystem::temp_directory_path() / ("spate-tls-" + std::to_string(random()));
  std::filesystem::create_directories(_path);
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(_path, ignored);
}

}  // namespace spate::net::test
