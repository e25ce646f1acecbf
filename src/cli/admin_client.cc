#include "cli/admin_client.h"

#include <cstdlib>
#include <optional>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace spate::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct parsed_url {
  std::string host;
  std::string port;
  std::string prefix;  // path prefix without a trailing '/'
};

parsed_url parse_url(const std::string& url) {
  std::string_view rest = url;
  constexpr std::string_view scheme = "http://";
  if (rest.starts_with(scheme)) {
    rest.remove_prefix(scheme.size());
  } else if (rest.find("://") != std::string_view::npos) {
    throw admin_unreachable("'" + url + "' is not an http:// URL");
  }
  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  parsed_url out;
  if (slash != std::string_view::npos) out.prefix = std::string(rest.substr(slash));
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  std::string_view host = authority;
  std::string_view port = "80";
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw admin_unreachable("'" + url + "' has a bad host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty()) throw admin_unreachable("'" + url + "' is not http://HOST:PORT");
  out.host = std::string(host);
  out.port = std::string(port);
  return out;
}

asio::awaitable<http_result> get(parsed_url url, std::string path, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
  co_await stream.async_connect(endpoints, asio::use_awaitable);
  http::request<http::empty_body> request{http::verb::get, url.prefix + path, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "spate-cli");
  request.set(http::field::accept, "application/json");
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return http_result{static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
                        std::move(response.body())};
}

}  // namespace

std::string admin_url(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("SPATE_ADMIN"); env && *env) return env;
  return "http://127.0.0.1:9644";
}

http_result http_get(const std::string& base_url, const std::string& path, std::chrono::milliseconds timeout) {
  const auto url = parse_url(base_url);
  asio::io_context ioc;
  std::optional<http_result> result;
  std::exception_ptr failure;
  asio::co_spawn(ioc, get(url, path, timeout), [&](std::exception_ptr e, http_result r) {
    if (e) {
      failure = e;
    } else {
      result = std::move(r);
    }
  });
  ioc.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      throw admin_unreachable(e.what());
    }
  }
  if (!result) throw admin_unreachable("no answer");
  return *result;
}

}  // namespace spate::cli
