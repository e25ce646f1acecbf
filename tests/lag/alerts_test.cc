#include "lag/alerts.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace spate::lag {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

struct received {
  std::string method;
  std::string target;
  std::string content_type;
  nlohmann::json body;
};

// A webhook on 127.0.0.1 that records what it is sent, answers with scripted statuses (then 200)
// and can hold its answers back until released.
class webhook_server {
 public:
  webhook_server() : _acceptor(_io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)) {
    _thread = std::thread([this] { serve(); });
  }
  ~webhook_server() {
    {
      std::lock_guard lock(_mu);
      _stopping = true;
      _held = false;
    }
    _cv.notify_all();
    // Unblocks accept() with a connection of our own; serve() then sees _stopping.
    boost::asio::io_context io;
    tcp::socket poke(io);
    boost::system::error_code ec;
    poke.connect(tcp::endpoint(boost::asio::ip::address_v4::loopback(), port()), ec);
    _thread.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/hook"; }
  std::uint16_t port() const { return _acceptor.local_endpoint().port(); }

  void answer_with(std::deque<unsigned> statuses) {
    std::lock_guard lock(_mu);
    _script = std::move(statuses);
  }
  void hold() {
    std::lock_guard lock(_mu);
    _held = true;
  }
  void release() {
    {
      std::lock_guard lock(_mu);
      _held = false;
    }
    _cv.notify_all();
  }
  bool await_requests(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(_mu);
    return _cv.wait_for(lock, timeout, [&] { return _requests.size() >= n; });
  }
  std::vector<received> requests() const {
    std::lock_guard lock(_mu);
    return _requests;
  }

 private:
  void serve() {
    for (;;) {
      tcp::socket socket(_io);
      boost::system::error_code ec;
      _acceptor.accept(socket, ec);
      {
        std::lock_guard lock(_mu);
        if (_stopping) return;
      }
      if (ec) continue;
      handle(socket);
    }
  }

  void handle(tcp::socket& socket) {
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    boost::system::error_code ec;
    http::read(socket, buffer, request, ec);
    if (ec) return;
    unsigned status = 200;
    {
      std::unique_lock lock(_mu);
      _requests.push_back({std::string(request.method_string()), std::string(request.target()),
                           std::string(request[http::field::content_type]),
                           nlohmann::json::parse(request.body(), nullptr, false)});
      if (!_script.empty()) {
        status = _script.front();
        _script.pop_front();
      }
      _cv.notify_all();
      _cv.wait(lock, [&] { return !_held; });
    }
    http::response<http::string_body> response{static_cast<http::status>(status), 11};
    response.body() = "{}";
    response.prepare_payload();
    http::write(socket, response, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  boost::asio::io_context _io;
  tcp::acceptor _acceptor;
  mutable std::mutex _mu;
  std::condition_variable _cv;
  std::vector<received> _requests;
  std::deque<unsigned> _script;
  bool _held = false;
  bool _stopping = false;
  std::thread _thread;
};

// Polls `done` until it holds or the deadline passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

constexpr millis t0 = 1'700'000'000'000;

// A tick in which `group` (now `to`) made a group-level transition from `from`; none when from == to.
tick_result group_tick(const std::string& group, status from, status to, millis at) {
  tick_result tick;
  tick.view.cluster = "local";
  tick.view.taken_at_ms = at;
  group_view g;
  g.group = group;
  g.current = to;
  g.reason = "reason for " + std::string(to_string(to));
  g.total_lag = 1234;
  g.max_time_lag_ms = 42000;
  tick.view.groups.push_back(g);
  if (from != to) tick.transitions.push_back({at, group, "", -1, from, to, g.reason});
  return tick;
}

alert_config config_for(const std::string& url) {
  alert_config c;
  c.webhook_url = url;
  c.threshold = status::slow;
  c.min_interval_ms = 60'000;
  c.retry_backoff_ms = 10;
  c.request_timeout_ms = 2000;
  c.max_attempts = 3;
  return c;
}

std::uint16_t closed_port() {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();  // closed when the acceptor goes: connections are refused
}

TEST(LagAlerts, SendsAnAlertAsJsonForAGroupTransitionAtTheThreshold) {
  webhook_server server;
  alert_notifier notifier(config_for(server.url()));
  notifier.on_tick(group_tick("orders", status::ok, status::stopped, t0));
  ASSERT_TRUE(server.await_requests(1));
  const auto r = server.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body["cluster"], "local");
  EXPECT_EQ(r.body["group"], "orders");
  EXPECT_EQ(r.body["status"], "STOPPED");
  EXPECT_EQ(r.body["previous"], "OK");
  EXPECT_EQ(r.body["reason"], "reason for STOPPED");
  EXPECT_EQ(r.body["at"], t0);
  EXPECT_EQ(r.body["resolved"], false);
  EXPECT_EQ(r.body["total_lag"], 1234);
  EXPECT_EQ(r.body["max_time_lag_ms"], 42000);
  ASSERT_TRUE(eventually([&] { return notifier.stats().sent == 1; }));
  EXPECT_EQ(notifier.stats().failed, 0u);
}

TEST(LagAlerts, IgnoresTransitionsBelowTheThresholdAndPartitionTransitions) {
  webhook_server server;
  auto config = config_for(server.url());
  config.threshold = status::stalled;
  alert_notifier notifier(config);
  notifier.on_tick(group_tick("a", status::ok, status::slow, t0));
  notifier.on_tick(group_tick("a", status::slow, status::ok, t0 + 1000));  // no alert, so no resolved notice
  auto partition_only = group_tick("b", status::ok, status::ok, t0 + 2000);
  partition_only.transitions.push_back({t0 + 2000, "b", "t", 0, status::ok, status::stopped, "no live member"});
  notifier.on_tick(partition_only);
  notifier.on_tick(group_tick("c", status::slow, status::stalled, t0 + 3000));
  ASSERT_TRUE(server.await_requests(1));
  ASSERT_TRUE(eventually([&] { return notifier.stats().sent == 1; }));
  // Anything queued before c's alert would have been delivered before it.
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body["group"], "c");
  EXPECT_EQ(requests[0].body["status"], "STALLED");
}

TEST(LagAlerts, SendsAResolvedNoticeWhenAnAlertedGroupIsBackToOk) {
  webhook_server server;
  alert_notifier notifier(config_for(server.url()));
  notifier.on_tick(group_tick("g", status::ok, status::stopped, t0));
  notifier.on_tick(group_tick("g", status::stopped, status::recovering, t0 + 10'000));
  notifier.on_tick(group_tick("g", status::recovering, status::ok, t0 + 20'000));
  ASSERT_TRUE(server.await_requests(2));
  ASSERT_TRUE(eventually([&] { return notifier.stats().sent == 2; }));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].body["resolved"], true);
  EXPECT_EQ(requests[1].body["status"], "OK");
  EXPECT_EQ(requests[1].body["previous"], "RECOVERING");
  EXPECT_EQ(requests[1].body["at"], t0 + 20'000);
}

TEST(LagAlerts, AtMostOneAlertPerGroupPerMinIntervalTheHeldBackOneFollowsIt) {
  webhook_server server;
  alert_notifier notifier(config_for(server.url()));  // 60 s
  notifier.on_tick(group_tick("g", status::ok, status::slow, t0));
  notifier.on_tick(group_tick("g", status::slow, status::stopped, t0 + 10'000));  // held back
  auto other = group_tick("h", status::ok, status::stopped, t0 + 10'000);         // another group: sent
  other.view.groups.push_back(group_tick("g", status::stopped, status::stopped, t0).view.groups[0]);
  notifier.on_tick(other);
  notifier.on_tick(group_tick("g", status::stopped, status::stopped, t0 + 50'000));
  ASSERT_TRUE(server.await_requests(2));
  ASSERT_TRUE(eventually([&] { return notifier.stats().sent == 2; }));
  ASSERT_EQ(server.requests().size(), 2u);
  // The interval has passed and g is still stopped: the held-back alert goes, with its count.
  notifier.on_tick(group_tick("g", status::stopped, status::stopped, t0 + 60'000));
  ASSERT_TRUE(server.await_requests(3));
  auto requests = server.requests();
  EXPECT_EQ(requests[2].body["group"], "g");
  EXPECT_EQ(requests[2].body["status"], "STOPPED");
  EXPECT_EQ(requests[2].body["previous"], "SLOW");
  EXPECT_EQ(requests[2].body["suppressed"], 1);
  // Back to ok: the resolved notice is not subject to the interval; a new alert right after is.
  notifier.on_tick(group_tick("g", status::stopped, status::ok, t0 + 61'000));
  notifier.on_tick(group_tick("g", status::ok, status::slow, t0 + 62'000));
  notifier.on_tick(group_tick("g", status::slow, status::ok, t0 + 63'000));  // drops the held-back one
  notifier.on_tick(group_tick("g", status::ok, status::ok, t0 + 200'000));
  ASSERT_TRUE(server.await_requests(4));
  ASSERT_TRUE(eventually([&] { return notifier.stats().sent == 4; }));
  requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[3].body["resolved"], true);
}

TEST(LagAlerts, RetriesAfterA500ThenSucceeds) {
  webhook_server server;
  server.answer_with({500});
  alert_notifier notifier(config_for(server.url()));
  notifier.on_tick(group_tick("g", status::ok, status::stalled, t0));
  ASSERT_TRUE(server.await_requests(2));
  ASSERT_TRUE(eventually([&] { return notifier.stats().sent == 1; }));
  const auto requests = server.requests();
  EXPECT_EQ(requests[0].body, requests[1].body);
  EXPECT_EQ(notifier.stats().failed, 0u);
}

TEST(LagAlerts, AClientErrorIsNotRetried) {
  webhook_server server;
  server.answer_with({404});
  alert_notifier notifier(config_for(server.url()));
  notifier.on_tick(group_tick("g", status::ok, status::stalled, t0));
  ASSERT_TRUE(eventually([&] { return notifier.stats().failed == 1; }));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(LagAlerts, AFullQueueDropsTheOldestAndCountsIt) {
  webhook_server server;
  server.hold();
  auto config = config_for(server.url());
  config.queue_limit = 2;
  config.request_timeout_ms = 10'000;
  alert_notifier notifier(config);
  notifier.on_tick(group_tick("g0", status::ok, status::stopped, t0));
  ASSERT_TRUE(server.await_requests(1));  // g0 is in flight, out of the queue
  for (int i = 1; i <= 5; ++i) {
    notifier.on_tick(group_tick("g" + std::to_string(i), status::ok, status::stopped, t0));
  }
  EXPECT_EQ(notifier.stats().dropped, 3u);
  server.release();
  ASSERT_TRUE(eventually([&] { return notifier.stats().sent == 3; }));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].body["group"], "g4");
  EXPECT_EQ(requests[2].body["group"], "g5");
}

TEST(LagAlerts, AnUnreachableUrlFailsAfterMaxAttemptsWithoutBlockingOnTick) {
  auto config = config_for("http://127.0.0.1:" + std::to_string(closed_port()) + "/hook");
  alert_notifier notifier(config);
  const auto before = std::chrono::steady_clock::now();
  notifier.on_tick(group_tick("g", status::ok, status::stopped, t0));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 50ms);
  ASSERT_TRUE(eventually([&] { return notifier.stats().failed == 1; }));
  EXPECT_EQ(notifier.stats().sent, 0u);
}

TEST(LagAlerts, ADeadEndpointNeverBlocksOnTickAndTheDestructorStopsPromptly) {
  // Accepts connections in its backlog and never answers: each request waits for the timeout.
  boost::asio::io_context io;
  tcp::acceptor blackhole(io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  auto config = config_for("http://127.0.0.1:" + std::to_string(blackhole.local_endpoint().port()) + "/hook");
  config.request_timeout_ms = 5000;
  auto notifier = std::make_unique<alert_notifier>(config);
  const auto before = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    notifier->on_tick(group_tick("g" + std::to_string(i), status::ok, status::stopped, t0));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - before, 100ms);
  EXPECT_EQ(notifier->stats().sent + notifier->stats().failed, 0u);
  const auto start = std::chrono::steady_clock::now();
  notifier.reset();
  const auto destroying = std::chrono::steady_clock::now() - start;
  EXPECT_LT(destroying, 1s);
}

TEST(LagAlerts, TheDestructorInterruptsARequestInFlight) {
  webhook_server server;
  server.hold();
  auto config = config_for(server.url());
  config.request_timeout_ms = 10'000;
  auto notifier = std::make_unique<alert_notifier>(config);
  notifier->on_tick(group_tick("g", status::ok, status::stopped, t0));
  ASSERT_TRUE(server.await_requests(1));
  const auto start = std::chrono::steady_clock::now();
  notifier.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  server.release();
}

TEST(LagAlerts, AnUnsupportedUrlTurnsAlertsOff) {
  alert_notifier notifier(config_for("https://example.invalid/hook"));
  notifier.on_tick(group_tick("g", status::ok, status::stopped, t0));
  const auto s = notifier.stats();
  EXPECT_EQ(s.sent + s.failed + s.dropped, 0u);
}

}  // namespace
}  // namespace spate::lag
