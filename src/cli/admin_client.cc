#include "cli/admin_client.h"

#include <cctype>
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

#include "security/base64.h"

namespace spate::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct parsed_url {
  std::string host;
  std::string port;
  std::string prefix;    // path prefix without a trailing '/'
  std::string userinfo;  // "user:password" of http://user:password@host:port (admin.authentication=basic)
};

// %XX escapes of a URL's user:password (a password may hold '@' or ':' as %40, %3A).
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

parsed_url parse_url(const std::string& full_url) {
  const auto url = url_for_display(full_url);
  std::string_view rest = full_url;
  constexpr std::string_view scheme = "http://";
  if (rest.starts_with(scheme)) {
    rest.remove_prefix(scheme.size());
  } else if (rest.find("://") != std::string_view::npos) {
    throw admin_unreachable("'" + url + "' is not an http:// URL");
  }
  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  parsed_url out;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    out.userinfo = percent_decoded(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
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
  if (!url.userinfo.empty()) request.set(http::field::authorization, "Basic " + security::base64_encode(url.userinfo));
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

std::string url_for_display(const std::string& url) {
  const auto start = url.find("://");
  const auto authority_start = start == std::string::npos ? 0 : start + 3;
  const auto at = url.find('@', authority_start);
  if (at == std::string::npos || url.find('/', authority_start) < at) return url;
  const auto colon = url.find(':', authority_start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

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
