#include "app/tls_listeners.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "app/listeners.h"
#include "base/log.h"

namespace spate::app {

namespace {

const char* client_auth_name(net::tls_client_auth auth) {
  switch (auth) {
    case net::tls_client_auth::none: return "none";
    case net::tls_client_auth::requested: return "requested";
    case net::tls_client_auth::required: return "required";
  }
  return "?";
}

}  // namespace

std::map<std::string, std::shared_ptr<net::tls_server_credentials>> load_tls_credentials(const broker_config& config) {
  std::map<std::string, std::shared_ptr<net::tls_server_credentials>> out;
  for (const auto& l : config.listeners) {
    const auto protocol = config.security_protocol(l.name);
    if (!is_tls(protocol)) continue;
    const auto files = config.ssl_files_for(l.name);
    if (files.certificate.empty() || files.key.empty()) {
      throw config_error(
          fmt::format("listener {} uses {}: it needs ssl.certificate.location and ssl.key.location", l.name, protocol));
    }
    auto loaded = net::tls_server_credentials::load(files);
    if (!loaded) throw config_error(fmt::format("TLS listener {}: {}", l.name, loaded.error()));
    SPATE_LOG_INFO("event=tls_loaded listener={} certificate={} client_auth={}", l.name, files.certificate.string(),
                   client_auth_name(files.client_auth));
    out.emplace(l.name, std::move(loaded).value());
  }
  // Settings for a listener that does not exist or does not speak TLS are a mistake, not a no-op.
  for (const auto& entry : config.listener_ssl) {
    const auto& name = entry.first;  // a plain reference: clang 14 cannot capture a structured binding
    const bool known = std::any_of(out.begin(), out.end(), [&name](const auto& loaded) {
      return std::equal(loaded.first.begin(), loaded.first.end(), name.begin(), name.end(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    });
    if (!known) {
      throw config_error(fmt::format("listener.name.{}.{} is set, but there is no SSL or SASL_SSL listener named {}",
                                     name, entry.second.front().first, name));
    }
  }
  return out;
}

std::shared_ptr<net::tls_server_credentials> load_admin_tls_credentials(const broker_config& config) {
  const bool https = config.admin_listener && config.admin_listener->https;
  if (config.admin_auth == admin_authentication::mtls && !https) {
    throw config_error("admin.authentication=mtls needs an https:// admin.listeners address");
  }
  if (!https) return nullptr;
  if (config.ssl.certificate.empty() || config.ssl.key.empty()) {
    throw config_error("admin.listeners is https://: it needs ssl.certificate.location and ssl.key.location");
  }
  auto files = config.ssl;
  if (config.admin_auth == admin_authentication::mtls) {
    if (files.ca.empty()) throw config_error("admin.authentication=mtls needs ssl.ca.location");
    files.client_auth = net::tls_client_auth::required;
  } else {
    files.client_auth = net::tls_client_auth::none;
  }
  auto loaded = net::tls_server_credentials::load(files);
  if (!loaded) throw config_error(fmt::format("admin.listeners https: {}", loaded.error()));
  return std::move(loaded).value();
}

tls_reloader::tls_reloader(std::vector<std::shared_ptr<net::tls_server_credentials>> credentials,
                           std::chrono::milliseconds poll)
    : _credentials(std::move(credentials)), _poll(poll), _thread([this] { run(); }) {}

tls_reloader::~tls_reloader() {
  {
    std::lock_guard lock(_mutex);
    _stopping = true;
  }
  _wake.notify_all();
  _thread.join();
}

void tls_reloader::reload_now() {
  for (const auto& credentials : _credentials) {
    if (auto error = credentials->reload()) {
      SPATE_LOG_WARN("event=tls_reload_failed trigger=sighup error=\"{}\" (the previous certificate stays in use)",
                     *error);
    } else {
      SPATE_LOG_INFO("event=tls_reloaded trigger=sighup certificate={}", credentials->files().certificate.string());
    }
  }
}

void tls_reloader::run() {
  std::unique_lock lock(_mutex);
  while (!_wake.wait_for(lock, _poll, [this] { return _stopping; })) {
    lock.unlock();
    for (const auto& credentials : _credentials) {
      std::string error;
      switch (credentials->reload_if_changed(error)) {
        case net::tls_server_credentials::change::unchanged: break;
        case net::tls_server_credentials::change::reloaded:
          SPATE_LOG_INFO("event=tls_reloaded trigger=file_changed certificate={}",
                         credentials->files().certificate.string());
          break;
        case net::tls_server_credentials::change::failed:
          SPATE_LOG_WARN(
              "event=tls_reload_failed trigger=file_changed error=\"{}\" (the previous certificate stays in "
              "use)",
              error);
          break;
      }
    }
    lock.lock();
  }
}

}  // namespace spate::app
