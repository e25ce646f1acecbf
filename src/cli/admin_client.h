#pragma once
// A tiny HTTP/1.1 client for the broker's admin API (`spate status`, `spate diag`). One request per
// connection; Beast stays in admin_client.cc.
#include <chrono>
#include <stdexcept>
#include <string>

namespace spate::cli {

struct http_result {
  int status = 0;
  std::string content_type;
  std::string body;
};

// The admin API could not be reached (bad URL, refused, timed out); what() says why.
class admin_unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The admin URL from --admin, else $SPATE_ADMIN, else http://127.0.0.1:9644.
std::string admin_url(const std::string& flag_value);

// `url` without the password of its user:password@ part, for messages.
std::string url_for_display(const std::string& url);

// GET `base_url` + `path` (base_url: "http://HOST:PORT", optionally with a path prefix; with
// "http://USER:PASSWORD@HOST:PORT", percent-encoded, it sends HTTP Basic credentials).
// Throws admin_unreachable when there is no answer within `timeout`.
http_result http_get(const std::string& base_url, const std::string& path,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace spate::cli
