#pragma once
// The admin server's settings and the hooks other modules plug into (metrics, status sections,
// request diagnostics). app/ fills them in (app/admin_view.cc: admin_options_from()).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/diag_source.h"

namespace spate::lag {
class monitor;
}
namespace spate::net {
class tls_server_credentials;
}
namespace spate::security {
class principal_mapper;
}

namespace spate::admin {

class basic_authenticator;

// One named block of /v1/status, e.g. "quota" -> {...}. Called on the admin thread per request.
using status_section = std::function<nlohmann::json()>;

struct admin_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9644;  // 0: ephemeral; read it back with admin_server::bound_port()
  // Headers and body of a request must arrive within this, else 408 and the connection closes.
  std::chrono::milliseconds request_timeout{10000};
  std::size_t max_body_bytes = std::size_t{1024} * 1024;  // larger: 413
  std::size_t max_connections = 64;                       // more: 503 and close
  // HTTPS (admin.listeners=https://...): the server's certificate and what it asks of clients;
  // null: plain HTTP.
  std::shared_ptr<net::tls_server_credentials> tls;

  // GET /metrics (Prometheus text format 0.0.4). Unset: 404.
  std::function<std::string()> metrics_text;
  // Extra blocks of /v1/status, by name (a name of a built-in field is overridden).
  std::map<std::string, status_section> status_sections;
  // Extra blocks of /v1/diag, by name (e.g. "disk_quota" -> the oldest trimmable segments).
  std::map<std::string, status_section> diag_sections;
  // /v1/diag's request diagnostics; null: no_diag_source.
  std::shared_ptr<const diag_source> diag;
  // The lag monitors served under /v1/lag and Burrow's /v3/kafka (one per cluster; none: no routes).
  std::vector<std::shared_ptr<lag::monitor>> lag_monitors;
  // admin.authentication=basic: every request must carry HTTP Basic credentials of a SCRAM user
  // (basic_auth.h), else 401; its principal then needs DESCRIBE on CLUSTER for reads, and Kafka's
  // ACLs apply to writes (kafka_call.h). Null: no authentication (requests are User:ANONYMOUS).
  std::shared_ptr<basic_authenticator> authentication;
  // admin.authentication=mtls: the principal is User:<subject of the client certificate, mapped by
  // ssl.principal.mapping.rules>; `tls` then requires a certificate its CA file vouches for. The
  // same ACLs apply as with `authentication`. Null: not used.
  std::shared_ptr<const security::principal_mapper> certificate_principals;
  // This program's version, for the OpenAPI document.
  std::string version;
};

}  // namespace spate::admin
