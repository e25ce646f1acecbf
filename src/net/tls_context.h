#pragma once
// Server-side TLS for any TCP protocol (Kafka listeners now, the admin HTTP server later): a context
// built from PEM files, and a holder that swaps in a rebuilt context when the files change, so a
// renewed certificate is served without a restart.
//
// Policy, fixed rather than configurable (one way to do it): TLS 1.2 and 1.3 only; for TLS 1.3
// OpenSSL's default suites (AES-GCM, ChaCha20-Poly1305); for TLS 1.2 only ECDHE key exchange with
// AEAD ciphers; no compression, no renegotiation.
#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "net/tls_files.h"

namespace spate::net {

// An OpenSSL server context, immutable once built; thread-safe (connections are created from it
// on every event loop). A connection keeps the context it was accepted with alive for its whole
// life (hold the shared_ptr), so a reload never disturbs an open connection.
class tls_server_context {
 public:
  // Reads and checks the files (key matches certificate, CA file readable when client
  // certificates are asked for). The error names the file and OpenSSL's reason.
  static base::result<std::shared_ptr<const tls_server_context>, std::string> build(const tls_files& files);

  // For creating streams (SSL_new): OpenSSL allows that concurrently on a configured context.
  boost::asio::ssl::context& asio_context() const { return _context; }

  explicit tls_server_context(boost::asio::ssl::context context) : _context(std::move(context)) {}

 private:
  mutable boost::asio::ssl::context _context;
};

// The current context of one listener and the files it came from. Thread-safe: event loops call
// current() per accepted connection while a reload runs on another thread.
class tls_server_credentials {
 public:
  // Builds the first context; the error says why (see tls_server_context::build).
  static base::result<std::shared_ptr<tls_server_credentials>, std::string> load(tls_files files);

  explicit tls_server_credentials(tls_files files, std::shared_ptr<const tls_server_context> first);

  std::shared_ptr<const tls_server_context> current() const EXCLUDES(_mutex);
  const tls_files& files() const { return _files; }

  // Rebuilds from the files. On failure the current context stays and the reason is returned.
  std::optional<std::string> reload() EXCLUDES(_mutex);

  enum class change { unchanged, reloaded, failed };
  // Reloads when a file's modification time or size differs from the last attempt's (so a bad
  // file is reported once, not at every poll). `error` receives the reason of a failure.
  change reload_if_changed(std::string& error) EXCLUDES(_mutex);

 private:
  struct stamp {
    std::filesystem::file_time_type modified{};
    std::uintmax_t size = 0;
    bool operator==(const stamp&) const = default;
  };
  std::vector<stamp> stamps() const;

  const tls_files _files;
  mutable base::mutex _mutex;
  std::shared_ptr<const tls_server_context> _current GUARDED_BY(_mutex);
  std::vector<stamp> _last_attempt GUARDED_BY(_mutex);
};

// The subject of the certificate the peer presented and OpenSSL verified, in RFC 2253 form as
// Java's X500Principal.getName() gives it ("CN=alice,OU=eng,O=Acme"), or nullopt when the peer
// sent none. Call after a successful handshake.
std::optional<std::string> verified_peer_subject(SSL* ssl);

// Why a handshake failed, for a log line: OpenSSL's reason plus the certificate verification
// error when there was one ("certificate has expired").
std::string handshake_failure_reason(SSL* ssl, const std::string& error_message);

}  // namespace spate::net
