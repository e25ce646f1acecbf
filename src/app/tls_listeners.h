#pragma once
// TLS for the broker's SSL and SASL_SSL listeners: credentials per listener from the ssl.* files
// and its listener.name.<name>.ssl.* overrides; the admin API's HTTPS from the ssl.* files; and
// their reloading, so a renewed certificate is served
// without a restart: on SIGHUP and when a file's modification time or size changes. New connections get the new
// context; open ones keep theirs. A reload that fails logs one line and keeps the old context.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "net/tls_context.h"

namespace spate::app {

// The credentials of each TLS listener, by listener name (broker_config::ssl_files_for); empty when
// no listener uses TLS. Throws config_error when a TLS listener has no certificate or key, when the
// files cannot be loaded, or when listener.name.<name>.ssl.* names no TLS listener.
std::map<std::string, std::shared_ptr<net::tls_server_credentials>> load_tls_credentials(const broker_config& config);

// The admin API's HTTPS credentials (admin.listeners=https://...), from the same ssl.* files; they
// ask for a client certificate only under admin.authentication=mtls, and then require one. Null for
// plain HTTP. Throws config_error when HTTPS has no certificate or key, when mtls is asked for
// without HTTPS or without ssl.ca.location, or when the files cannot be loaded.
std::shared_ptr<net::tls_server_credentials> load_admin_tls_credentials(const broker_config& config);

// Watches the files of every credential set on its own thread (every `poll`) and reloads on request.
// Thread-safety: reload_now() may be called from any thread; construct and destroy on one.
class tls_reloader {
 public:
  tls_reloader(std::vector<std::shared_ptr<net::tls_server_credentials>> credentials, std::chrono::milliseconds poll);
  ~tls_reloader();
  tls_reloader(const tls_reloader&) = delete;
  tls_reloader& operator=(const tls_reloader&) = delete;

  // SIGHUP: rebuild from the files now, changed or not. Logs the outcome.
  void reload_now();

 private:
  void run();

  const std::vector<std::shared_ptr<net::tls_server_credentials>> _credentials;
  const std::chrono::milliseconds _poll;
  std::mutex _mutex;
  std::condition_variable _wake;
  bool _stopping = false;  // guarded by _mutex
  std::thread _thread;
};

}  // namespace spate::app
