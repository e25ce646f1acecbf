#include "cli/admin_client.h"

#include <cctype>
#include <cstdlib>
#include <optional>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "cli/tls_client_context.h"
#include "security/base64.h"

namespace spate::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct parsed_url {
  bool https = false;
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
  parsed_url out;
  if (rest.starts_with("https://")) {
    out.https = true;
    rest.remove_prefix(std::string_view("https://").size());
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(std::string_view("http://").size());
  } else if (rest.find("://") != std::string_view::npos) {
    throw admin_unreachable("'" + url + "' is not an http:// or https:// URL");
  }
  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    out.userinfo = percent_decoded(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  if (slash != std::string_view::npos) out.prefix = std::string(rest.substr(slash));
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  std::string_view host = authority;
  std::string_view port = out.https ? "443" : "80";
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw admin_unreachable("'" + url + "' has a bad host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty()) throw admin_unreachable("'" + url + "' is not http(s)://HOST:PORT");
  out.host = std::string(host);
  out.port = std::string(port);
  return out;
}

http::request<http::empty_body> make_request(const parsed_url& url, const std::string& path) {
  http::request<http::empty_body> request{http::verb::get, url.prefix + path, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "spate-cli");
  request.set(http::field::accept, "application/json");
  if (!url.userinfo.empty()) request.set(http::field::authorization, "Basic " + security::base64_encode(url.userinfo));
  return request;
}

template <typename Stream>
asio::awaitable<http_result> exchange(Stream& stream, const parsed_url& url, const std::string& path) {
  co_await http::async_write(stream, make_request(url, path), asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  co_return http_result{static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
                        std::move(response.body())};
}

// The certificate must chain to --admin-ca (else the system's trust store) and name url.host.
std::unique_ptr<asio::ssl::context> client_context(const admin_target& target) {
  tls_client_settings settings;
  settings.ca_file = target.ca_file;
  settings.certificate_file = target.certificate_file;
  settings.key_file = target.key_file.empty() ? target.certificate_file : target.key_file;
  try {
    return make_tls_client_context(settings);
  } catch (const tls_error& e) {
    throw admin_unreachable(fmt::format("the TLS files (--admin-ca, --admin-cert, --admin-key): {}", e.what()));
  }
}

asio::awaitable<http_result> get(parsed_url url, admin_target target, std::string path,
                                 std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  beast::tcp_stream tcp(executor);
  tcp.expires_after(timeout);
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
  co_await tcp.async_connect(endpoints, asio::use_awaitable);
  if (!url.https) {
    auto result = co_await exchange(tcp, url, path);
    beast::error_code ignored;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    co_return result;
  }
  const auto context = client_context(target);
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), *context);
  try {
    expect_server_host(tls.native_handle(), url.host, /*verify_host_name=*/true);
  } catch (const tls_error& e) {
    throw admin_unreachable(e.what());
  }
  beast::error_code ec;
  co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    const long verify = SSL_get_verify_result(tls.native_handle());
    throw admin_unreachable(
        fmt::format("TLS handshake failed: {}{}", ec.message(),
                    verify == X509_V_OK ? std::string() : fmt::format(" ({})", X509_verify_cert_error_string(verify))));
  }
  auto result = co_await exchange(tls, url, path);
  // close_notify; the answer is complete already, so a peer slow to answer it costs at most a second.
  beast::get_lowest_layer(tls).expires_after(std::chrono::seconds(1));
  co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  co_return result;
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

void add_admin_target_options(CLI::App& command, admin_target& target) {
  command.add_option("--admin", target.url,
                     "Admin API URL, http:// or https:// (default: $SPATE_ADMIN, else http://127.0.0.1:9644)");
  command.add_option("--admin-ca", target.ca_file,
                     "https: PEM file of the CA that signed the broker's certificate (default: $SPATE_ADMIN_CA, else "
                     "the system's trust store)");
  command.add_option(
      "--admin-cert", target.certificate_file,
      "https: this client's PEM certificate, for admin.authentication=mtls (default: $SPATE_ADMIN_CERT)");
  command.add_option("--admin-key", target.key_file, "https: its PEM private key (default: $SPATE_ADMIN_KEY)");
}

admin_target resolve_admin_target(admin_target flags) {
  const auto fill = [](std::string& field, const char* variable, const char* fallback) {
    if (!field.empty()) return;
    const char* value = std::getenv(variable);
    field = value != nullptr && *value != '\0' ? value : fallback;
  };
  fill(flags.url, "SPATE_ADMIN", "http://127.0.0.1:9644");
  fill(flags.ca_file, "SPATE_ADMIN_CA", "");
  fill(flags.certificate_file, "SPATE_ADMIN_CERT", "");
  fill(flags.key_file, "SPATE_ADMIN_KEY", "");
  return flags;
}

http_result http_get(const admin_target& target, const std::string& path, std::chrono::milliseconds timeout) {
  const auto url = parse_url(target.url);
  asio::io_context ioc;
  std::optional<http_result> result;
  std::exception_ptr failure;
  asio::co_spawn(ioc, get(url, target, path, timeout), [&](std::exception_ptr e, http_result r) {
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
