#pragma once
// The admin API's view of one HTTP exchange, independent of the HTTP library (Beast stays in
// http_server.cc). Plain values; not shared between threads.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spate::admin {

struct http_request {
  std::string method;                         // "GET", "POST", ...
  std::string path;                           // without the query string, not percent-decoded
  std::map<std::string, std::string> query;   // decoded
  std::map<std::string, std::string> params;  // `{name}` segments of the matched route, decoded
  std::string body;
  std::string authorization;  // the Authorization header; empty: none
  std::string peer;           // the client's "ip:port"
  // HTTPS: the subject of the client certificate OpenSSL verified, RFC 2253 ("CN=alice,O=Acme");
  // nullopt without one.
  std::optional<std::string> client_certificate_subject;
  // Who is asking: "User:alice" once admin.authentication verified it (`authenticated`). Without
  // admin.authentication the caller is the operator on a trusted address and no ACL applies;
  // otherwise Kafka calls run as this principal (kafka_call.h).
  std::string principal = "User:ANONYMOUS";
  bool authenticated = false;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, ...)
};

}  // namespace spate::admin
