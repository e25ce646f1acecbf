#include "lag/alerts.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "base/log.h"

namespace spate::lag {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct http_url {
  std::string host;
  std::string port = "80";
  std::string host_header;
  std::string target = "/";
};

// http://host[:port][/path]; IPv6 hosts in brackets. Anything else (https included) is refused.
std::optional<http_url> parse_http_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  const auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  http_url out;
  out.host_header = rest.substr(0, slash);
  if (slash != std::string::npos) out.target = rest.substr(slash);
  const auto& authority = out.host_header;
  if (authority.empty() || authority.find('@') != std::string::npos) return std::nullopt;
  std::size_t host_end = authority.size();
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = authority.substr(1, close - 1);
    host_end = close + 1;
  } else {
    host_end = std::min(authority.find(':'), authority.size());
    out.host = authority.substr(0, host_end);
  }
  if (host_end < authority.size()) {
    if (authority[host_end] != ':' || host_end + 1 == authority.size()) return std::nullopt;
    out.port = authority.substr(host_end + 1);
    if (!std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
  }
  if (out.host.empty()) return std::nullopt;
  return out;
}

const group_view* find_group(const cluster_view& view, const std::string& name) {
  for (const auto& g : view.groups) {
    if (g.group == name) return &g;
  }
  return nullptr;
}

enum class outcome { delivered, retry, give_up };

}  // namespace

struct alert_notifier::impl {
  explicit impl(alert_config c) : config(std::move(c)), url(parse_http_url(config.webhook_url)) {
    config.queue_limit = std::max<std::size_t>(1, config.queue_limit);
    config.max_attempts = std::max(1, config.max_attempts);
    // An alert at OK or below would make every healthy group a page.
    config.threshold = std::max(config.threshold, status::recovering);
  }

  // on_tick's side: touched only by the caller of on_tick (the monitor's thread).
  struct group_alerts {
    bool alerted = false;  // an alert went out and its resolved notice has not
    bool any_sent = false;
    millis last_alert_ms = 0;
    bool pending = false;  // an alert was suppressed by the interval and is owed once it passes
    status pending_from = status::ok;
    std::uint64_t suppressed = 0;
  };
  std::map<std::string, group_alerts> groups;

  void send(const std::string& cluster, const std::string& group, status to, status from, const std::string& reason,
            millis at, bool resolved, const group_view* view, std::uint64_t suppressed) {
    nlohmann::json body = {
        {"cluster", cluster},
        {"group", group},
        {"status", std::string(to_string(to))},
        {"previous", std::string(to_string(from))},
        {"reason", reason},
        {"at", at},
        {"resolved", resolved},
        {"total_lag", view ? view->total_lag : 0},
        {"max_time_lag_ms", view ? view->max_time_lag_ms : 0},
        {"suppressed", suppressed},
    };
    enqueue(body.dump());
  }

  void alert(const cluster_view& view, const std::string& group, status to, status from, const std::string& reason,
             millis at) {
    auto& st = groups[group];
    if (st.any_sent && at - st.last_alert_ms < config.min_interval_ms) {
      if (!st.pending) st.pending_from = from;
      st.pending = true;
      ++st.suppressed;
      return;
    }
    send(view.cluster, group, to, from, reason, at, false, find_group(view, group), st.suppressed);
    st.alerted = true;
    st.any_sent = true;
    st.last_alert_ms = at;
    st.pending = false;
    st.suppressed = 0;
  }

  void resolve(const cluster_view& view, const transition& t) {
    auto it = groups.find(t.group);
    if (it == groups.end()) return;
    auto& st = it->second;
    st.pending = false;
    st.suppressed = 0;
    if (!st.alerted) return;
    send(view.cluster, t.group, t.to, t.from, t.reason, t.at_ms, true, find_group(view, t.group), 0);
    st.alerted = false;
  }

  // Alerts held back by the interval go out once it has passed, if the group is still in trouble.
  void flush_pending(const cluster_view& view) {
    for (auto it = groups.begin(); it != groups.end();) {
      auto& [name, st] = *it;
      const group_view* g = find_group(view, name);
      if (!g && view.error.empty()) {
        it = groups.erase(it);  // the group is gone: nothing left to alert or resolve
        continue;
      }
      if (st.pending && g && view.taken_at_ms - st.last_alert_ms >= config.min_interval_ms) {
        st.pending = false;
        if (g->current >= config.threshold) {
          send(view.cluster, name, g->current, st.pending_from, g->reason, view.taken_at_ms, false, g, st.suppressed);
          st.alerted = true;
          st.last_alert_ms = view.taken_at_ms;
        }
        st.suppressed = 0;
      }
      ++it;
    }
  }

  void enqueue(std::string body) {
    {
      std::lock_guard lock(mu);
      if (queue.size() >= config.queue_limit) {
        queue.pop_front();
        ++counters.dropped;
      }
      queue.push_back(std::move(body));
    }
    wake.notify_one();
  }

  // The delivery thread.
  void run() {
    for (;;) {
      std::string body;
      {
        std::unique_lock lock(mu);
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        if (stopping) return;
        body = std::move(queue.front());
        queue.pop_front();
      }
      deliver(body);
    }
  }

  void deliver(const std::string& body) {
    auto backoff = std::chrono::milliseconds(std::max<millis>(1, config.retry_backoff_ms));
    std::string error;
    int attempt = 1;
    for (;; ++attempt) {
      const auto result = post(body, error);
      if (result == outcome::delivered) {
        std::lock_guard lock(mu);
        ++counters.sent;
        return;
      }
      if (result == outcome::give_up || attempt >= config.max_attempts) break;
      std::unique_lock lock(mu);
      if (wake.wait_for(lock, backoff, [&] { return stopping; })) return;
      backoff *= 2;
    }
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      ++counters.failed;
    }
    SPATE_LOG_WARN("lag alert not delivered url={} attempts={} error=\"{}\"", config.webhook_url, attempt, error);
  }

  // One POST on a fresh connection, bounded by the request timeout. Connection errors, timeouts
  // and 5xx are worth a retry; other statuses are not.
  outcome post(const std::string& body, std::string& error) {
    io.restart();
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    http::request<http::string_body> request{http::verb::post, url->target, 11};
    request.set(http::field::host, url->host_header);
    request.set(http::field::user_agent, "spate-lag-alerts");
    request.set(http::field::content_type, "application/json");
    request.keep_alive(false);
    request.body() = body;
    request.prepare_payload();
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    bool answered = false;
    error = "stopped";
    const auto timeout = std::chrono::milliseconds(config.request_timeout_ms);
    auto failed = [&](const beast::error_code& ec, const char* step) {
      error = fmt::format("{}: {}", step, ec.message());
    };

    resolver.async_resolve(url->host, url->port, [&](beast::error_code ec, tcp::resolver::results_type endpoints) {
      if (ec) return failed(ec, "resolve");
      stream.expires_after(timeout);  // one deadline for connect, write and read together
      stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
        if (ec) return failed(ec, "connect");
        http::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
          if (ec) return failed(ec, "write");
          http::async_read(stream, buffer, response, [&](beast::error_code ec, std::size_t) {
            if (ec) return failed(ec, "read");
            answered = true;
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
          });
        });
      });
    });
    {
      // Checked after restart(): a stop() from the destructor either is seen here or stops run().
      std::lock_guard lock(mu);
      if (stopping) return outcome::give_up;
    }
    io.run();
    if (!answered) return outcome::retry;
    const unsigned code = response.result_int();
    if (code >= 200 && code < 300) return outcome::delivered;
    error = fmt::format("HTTP {}", code);
    return code >= 500 ? outcome::retry : outcome::give_up;
  }

  alert_config config;
  std::optional<http_url> url;
  boost::asio::io_context io;  // the delivery thread's; stop() is the only call from elsewhere

  mutable std::mutex mu;
  std::condition_variable wake;
  std::deque<std::string> queue;  // guarded by mu
  bool stopping = false;          // guarded by mu
  alert_stats counters;           // guarded by mu
  std::thread worker;
};

alert_notifier::alert_notifier(alert_config config) : _impl(std::make_unique<impl>(std::move(config))) {
  if (_impl->config.webhook_url.empty()) return;
  if (!_impl->url) {
    SPATE_LOG_WARN("lag alerts off: webhook url is not http://host[:port][/path] url={}", _impl->config.webhook_url);
    return;
  }
  _impl->worker = std::thread([impl = _impl.get()] { impl->run(); });
}

alert_notifier::~alert_notifier() {
  {
    std::lock_guard lock(_impl->mu);
    _impl->stopping = true;
  }
  _impl->wake.notify_all();
  _impl->io.stop();
  if (_impl->worker.joinable()) _impl->worker.join();
}

void alert_notifier::on_tick(const tick_result& tick) {
  if (!_impl->worker.joinable()) return;
  const auto& view = tick.view;
  for (const auto& t : tick.transitions) {
    if (!t.topic.empty() || t.partition >= 0) continue;  // partitions are summed up by their group
    if (t.to >= _impl->config.threshold) {
      _impl->alert(view, t.group, t.to, t.from, t.reason, t.at_ms);
    } else if (t.to == status::ok || t.to == status::idle) {
      _impl->resolve(view, t);
    }
  }
  _impl->flush_pending(view);
}

alert_stats alert_notifier::stats() const {
  std::lock_guard lock(_impl->mu);
  return _impl->counters;
}

}  // namespace spate::lag
