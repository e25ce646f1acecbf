#pragma once
// The admin API's routes: method, path pattern, handler, summary and OpenAPI fragment in one row,
// so a route cannot be served without being documented (/v1/openapi.json is generated from the
// same table, openapi.h).
//
// Patterns are literal segments and `{name}` segments; a `{name}` segment matches one non-empty
// path segment, and its percent-decoded value is in http_request::params[name]. Routes are tried
// in table order. Not thread-safe to modify; const methods may be called from any thread.
#include <functional>
#include <string>
#include <vector>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "admin/http_message.h"

namespace spate::admin {

using route_handler = std::function<boost::asio::awaitable<http_response>(http_request&)>;

struct route {
  std::string method;   // upper case: GET, POST, PATCH, DELETE
  std::string pattern;  // e.g. "/v1/topics/{topic}"
  std::string summary;  // one line, for the OpenAPI document
  // The OpenAPI operation object without summary and path parameters (added from the row):
  // "responses", and "requestBody" for writes.
  nlohmann::json openapi;
  route_handler handler;
};

class route_table {
 public:
  void add(route r);
  const std::vector<route>& routes() const { return _routes; }

  enum class outcome { found, not_found, method_not_allowed };
  struct match_result {
    outcome result = outcome::not_found;
    const route* matched = nullptr;    // when found
    std::vector<std::string> allowed;  // the methods the path has, when method_not_allowed
  };
  // On a match, fills `request.params`. Matches on request.method and request.path.
  match_result match(http_request& request) const;

 private:
  std::vector<route> _routes;
};

// Percent-decoding of a path segment or query component ('+' stays '+' in paths).
std::string percent_decode(std::string_view text, bool plus_is_space = false);
// The `{name}`s of a pattern, in order.
std::vector<std::string> pattern_params(std::string_view pattern);

// An adapter for handlers that do not await anything.
route_handler sync_handler(std::function<http_response(http_request&)> fn);

}  // namespace spate::admin
