// The admin server on an ephemeral port with a fake broker_view: routes, hooks and request limits.
#include "admin/admin_server.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "admin/basic_auth.h"
#include "security/base64.h"
#include "security/credential_store.h"

namespace spate::admin {
namespace {

using tcp = boost::asio::ip::tcp;

class fake_view final : public broker_view {
 public:
  bool is_ready = true;
  broker_identity identity() const override { return {7, "1.2.3", "cluster-x", "127.0.0.1:9092", "/data"}; }
  std::int64_t uptime_ms() const override { return 65000; }
  bool ready() const override { return is_ready; }
  std::vector<topic_summary> topics() const override { return {{"orders", "id-1", 2, false}}; }
  std::optional<topic_detail> topic(const std::string& name) const override {
    if (name != "orders") return std::nullopt;
    return topic_detail{{"orders", "id-1", 2, false},
                        {{"retention.ms", "1000"}},
                        {{0, 0, 10, 10, 10, 500, 1}, {1, 2, 5, 4, 4, 900, 2}}};
  }
  std::vector<group_summary> groups() const override { return {{"g", "Empty", "consumer"}}; }
  std::optional<group_detail> group(const std::string& id) const override {
    if (id != "g") return std::nullopt;
    return group_detail{"g", "Empty", "consumer", "", {}, {{"orders", 0, 3, std::nullopt, 10}}};
  }
  std::optional<std::int64_t> offset_for_timestamp(const std::string&, std::int32_t, std::int64_t) const override {
    return std::nullopt;
  }
  storage_usage usage() const override { return {1400, 100, 1000}; }
  recovery_state recovery() const override { return {false, false, 3, 1, 0}; }
  std::size_t connection_count() const override { return 4; }
};

class fake_diag final : public diag_source {
 public:
  std::vector<request_kind_latency> slowest_requests(std::size_t) const override { return {{"Fetch", 9, 1, 2, 3}}; }
  std::vector<error_count> recent_errors(std::size_t) const override { return {{"Produce", "NOT_LEADER", 2, 5}}; }
};

struct reply {
  int status = 0;
  std::string raw;
  std::string body;
};

reply parse(std::string raw) {
  reply r;
  r.raw = raw;
  if (raw.size() > 12) r.status = std::stoi(raw.substr(9, 3));
  const auto end = raw.find("\r\n\r\n");
  if (end != std::string::npos) r.body = raw.substr(end + 4);
  return r;
}

// Sends `request` as it is and reads until the server closes the connection.
reply round_trip(std::uint16_t port, const std::string& request) {
  boost::asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string raw;
  boost::system::error_code ec;
  boost::asio::read(socket, boost::asio::dynamic_buffer(raw), ec);
  return parse(raw);
}

reply get(std::uint16_t port, const std::string& path) {
  return round_trip(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

reply send_body(std::uint16_t port, const std::string& method, const std::string& path, const std::string& body) {
  return round_trip(port, method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
}

class admin_server_test : public ::testing::Test {
 protected:
  admin_options options() {
    admin_options o;
    o.port = 0;
    o.request_timeout = std::chrono::milliseconds(300);
    o.max_body_bytes = 1024;
    o.max_connections = 3;
    return o;
  }
  fake_view view;
};

TEST_F(admin_server_test, status_combines_the_view_and_registered_sections) {
  auto o = options();
  o.status_sections["quota"] = [] { return nlohmann::json{{"state", "ok"}}; };
  admin_server server(std::move(o), view, nullptr);
  server.start();
  const auto r = get(server.bound_port(), "/v1/status");
  ASSERT_EQ(r.status, 200) << r.raw;
  const auto s = nlohmann::json::parse(r.body);
  EXPECT_EQ(s["node_id"], 7);
  EXPECT_EQ(s["version"], "1.2.3");
  EXPECT_EQ(s["uptime_s"], 65);
  EXPECT_EQ(s["listeners"]["kafka"], "127.0.0.1:9092");
  EXPECT_EQ(s["listeners"]["admin"], "127.0.0.1:" + std::to_string(server.bound_port()));
  EXPECT_EQ(s["usage"], (nlohmann::json{{"log_bytes", 1400}, {"fs_free_bytes", 100}, {"fs_total_bytes", 1000}}));
  EXPECT_EQ(s["counts"], (nlohmann::json{{"topics", 1}, {"partitions", 2}, {"groups", 1}, {"connections", 4}}));
  EXPECT_EQ(s["recovery"]["state"], "recovered");
  EXPECT_EQ(s["recovery"]["segments_recovered"], 1);
  EXPECT_EQ(s["quota"], (nlohmann::json{{"state", "ok"}}));
}

TEST_F(admin_server_test, ready_follows_the_view) {
  admin_server server(options(), view, nullptr);
  server.start();
  EXPECT_EQ(get(server.bound_port(), "/v1/health/ready").status, 200);
  view.is_ready = false;
  EXPECT_EQ(get(server.bound_port(), "/v1/health/ready").status, 503);
  EXPECT_EQ(get(server.bound_port(), "/v1/health/live").status, 200);
}

TEST_F(admin_server_test, metrics_come_from_the_hook_and_are_404_without_it) {
  {
    admin_server server(options(), view, nullptr);
    server.start();
    const auto r = get(server.bound_port(), "/metrics");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "METRICS_NOT_ENABLED");
  }
  auto o = options();
  o.metrics_text = [] { return std::string("spate_up 1\n"); };
  admin_server server(std::move(o), view, nullptr);
  server.start();
  const auto r = get(server.bound_port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.raw.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << r.raw;
  EXPECT_EQ(r.body, "spate_up 1\n");
}

TEST_F(admin_server_test, diag_shows_the_largest_partitions_and_the_diag_source) {
  auto o = options();
  o.diag = std::make_shared<fake_diag>();
  admin_server server(std::move(o), view, nullptr);
  server.start();
  const auto d = nlohmann::json::parse(get(server.bound_port(), "/v1/diag").body);
  EXPECT_EQ(d["largest_partitions"][0], (nlohmann::json{{"topic", "orders"}, {"partition", 1}, {"size_bytes", 900}}));
  EXPECT_EQ(d["slowest_requests"][0]["kind"], "Fetch");
  EXPECT_EQ(d["recent_errors"][0]["error"], "NOT_LEADER");
}

TEST_F(admin_server_test, reads_use_the_view_and_writes_without_a_broker_are_503) {
  admin_server server(options(), view, nullptr);
  server.start();
  const auto port = server.bound_port();
  EXPECT_EQ(nlohmann::json::parse(get(port, "/v1/topics/orders").body)["partitions"][1]["size_bytes"], 900);
  EXPECT_EQ(nlohmann::json::parse(get(port, "/v1/topics/nope").body)["error"], "UNKNOWN_TOPIC_OR_PARTITION");
  const auto g = nlohmann::json::parse(get(port, "/v1/groups/g").body);
  EXPECT_EQ(g["offsets"][0]["lag"], 7);
  EXPECT_EQ(get(port, "/v1/groups/h").status, 404);
  EXPECT_EQ(send_body(port, "POST", "/v1/topics", R"({"name":"x"})").status, 503);
}

TEST_F(admin_server_test, unknown_routes_wrong_methods_and_bad_json) {
  admin_server server(options(), view, nullptr);
  server.start();
  const auto port = server.bound_port();
  EXPECT_EQ(get(port, "/nope").status, 404);
  const auto r = send_body(port, "PUT", "/v1/status", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.raw.find("Allow: GET"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(get(port, "/v1/openapi.json").body)["openapi"], "3.0.3");
  EXPECT_EQ(round_trip(port, "NOT HTTP AT ALL\r\n\r\n").status, 400);
}

TEST_F(admin_server_test, a_body_over_the_limit_is_413) {
  admin_server server(options(), view, nullptr);
  server.start();
  const auto r = send_body(server.bound_port(), "POST", "/v1/topics", std::string(2048, 'x'));
  EXPECT_EQ(r.status, 413) << r.raw;
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "PAYLOAD_TOO_LARGE");
}

TEST_F(admin_server_test, a_request_that_does_not_arrive_in_time_is_408_and_closed) {
  admin_server server(options(), view, nullptr);
  server.start();
  const auto started = std::chrono::steady_clock::now();
  const auto r = round_trip(server.bound_port(), "GET /v1/status HTTP/1.1\r\nHost: x\r\n");  // never finished
  EXPECT_EQ(r.status, 408) << r.raw;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(admin_server_test, connections_beyond_the_cap_get_503) {
  admin_server server(options(), view, nullptr);
  server.start();
  boost::asio::io_context ioc;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 3; ++i) {
    idle.emplace_back(ioc).connect({boost::asio::ip::make_address("127.0.0.1"), server.bound_port()});
  }
  // Connections are accepted in order: the idle ones are counted before this one.
  EXPECT_EQ(get(server.bound_port(), "/v1/health/live").status, 503);
  idle.clear();
  // The server sees the closes when its reads end; poll rather than guess how long that takes.
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = get(server.bound_port(), "/v1/health/live").status;
  }
  EXPECT_EQ(status, 200);
}

TEST_F(admin_server_test, every_route_is_in_the_openapi_document) {
  admin_server server(options(), view, nullptr);
  server.start();
  const auto doc = nlohmann::json::parse(get(server.bound_port(), "/v1/openapi.json").body);
  std::size_t operations = 0;
  for (const auto& [path, item] : doc["paths"].items()) operations += item.size();
  EXPECT_EQ(operations, server.routes().routes().size());
  for (const auto& r : server.routes().routes()) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_TRUE(doc["paths"].contains(r.pattern) && doc["paths"][r.pattern].contains(method)) << r.pattern;
  }
}

TEST_F(admin_server_test, basic_authentication_answers_401_without_good_credentials_but_keeps_health_open) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("admin_server_test_basic_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = security::credential_store::open(io::posix_file_system(), dir);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store.value()->alter({}, {security::credential_store::upsertion_from_password(
                                           "ops", security::scram_mechanism::sha256, "ops-secret")}));
  auto o = options();
  o.authentication = std::make_shared<basic_authenticator>(*store.value(), std::chrono::milliseconds(1));
  admin_server server(std::move(o), view, nullptr);
  server.start();
  const auto with = [&](const std::string& path, const std::string& credentials) {
    return round_trip(server.bound_port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                                               "Authorization: Basic " + security::base64_encode(credentials) +
                                               "\r\n\r\n");
  };
  const auto missing = get(server.bound_port(), "/v1/status");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.raw.find("WWW-Authenticate: Basic realm=\"spate\""), std::string::npos) << missing.raw;
  EXPECT_EQ(nlohmann::json::parse(missing.body)["error"], "AUTHENTICATION_FAILED");
  const auto wrong = with("/v1/status", "ops:nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, missing.body);  // one generic message
  EXPECT_EQ(with("/v1/status", "ops:ops-secret").status, 200);
  EXPECT_EQ(get(server.bound_port(), "/v1/health/live").status, 200);
  server.stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spate::admin
