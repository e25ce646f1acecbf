#pragma once
// A tiny HTTP/1.1 and HTTPS client for the broker's admin API (`spate status`, `spate diag`,
// `spate lag`). One request per connection; Beast and OpenSSL stay in admin_client.cc.
#include <chrono>
#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace spate::cli {

struct http_result {
  int status = 0;
  std::string content_type;
  std::string body;
};

// The admin API could not be reached (bad URL, refused, timed out, TLS handshake failed); what()
// says why.
class admin_unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where the admin API is and how to reach it. `url`: http://HOST:PORT or https://HOST:PORT,
// optionally with USER:PASSWORD@ (admin.authentication=basic, percent-encoded) and a path prefix.
// Over https the broker's certificate must be signed by `ca_file` (empty: the system's trust
// store) and name the URL's host; `certificate_file` and `key_file` (PEM) are this client's, for
// admin.authentication=mtls.
struct admin_target {
  std::string url;
  std::string ca_file;
  std::string certificate_file;
  std::string key_file;
};

// Adds --admin, --admin-ca, --admin-cert and --admin-key to `command`, filling `target`.
void add_admin_target_options(CLI::App& command, admin_target& target);

// `flags` with each empty field taken from $SPATE_ADMIN, $SPATE_ADMIN_CA, $SPATE_ADMIN_CERT or
// $SPATE_ADMIN_KEY, and the URL defaulting to http://127.0.0.1:9644.
admin_target resolve_admin_target(admin_target flags);

// `url` without the password of its user:password@ part, for messages.
std::string url_for_display(const std::string& url);

// GET the target's URL + `path`. Throws admin_unreachable when there is no answer within `timeout`.
http_result http_get(const admin_target& target, const std::string& path,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace spate::cli
