// CreateAcls, DescribeAcls and DeleteAcls through the dispatcher: the round trip over acls.json,
// the filters (ANY, MATCH, PREFIXED), the refusals (SECURITY_DISABLED without an authorizer,
// CLUSTER_AUTHORIZATION_FAILED for a principal without ALTER or DESCRIBE on the CLUSTER) and
// Kafka's INVALID_REQUEST for bindings and filters it refuses, and a failed write of acls.json.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>

#include "broker/dispatcher.h"
#include "broker/sasl_authenticator.h"
#include "broker/sasl_session.h"
#include "broker_test_support.h"
#include "io/fault_injection.h"
#include "protocol/messages/create_acls.h"
#include "protocol/messages/delete_acls.h"
#include "protocol/messages/describe_acls.h"
#include "security/acl_store.h"
#include "security/authorizer.h"
#include "security/plain.h"

namespace spate::broker {
namespace {

using namespace spate::broker::testing;
using security::acl_operation;
using security::acl_permission;
using security::pattern_type;
using security::resource_type;

constexpr auto code = [](auto e) { return static_cast<std::int8_t>(e); };
constexpr auto wire = [](protocol::error_code e) { return static_cast<std::int16_t>(e); };

protocol::create_acls_request::acl_creation creation(resource_type type, std::string name, pattern_type pattern,
                                                     std::string principal, acl_operation op,
                                                     acl_permission permission = acl_permission::allow) {
  protocol::create_acls_request::acl_creation c;
  c.resource_type = code(type);
  c.resource_name = std::move(name);
  c.resource_pattern_type = code(pattern);
  c.principal = std::move(principal);
  c.host = "*";
  c.operation = code(op);
  c.permission_type = code(permission);
  return c;
}

protocol::describe_acls_request describe_filter(resource_type type, std::optional<std::string> name,
                                                pattern_type pattern) {
  protocol::describe_acls_request req;
  req.resource_type_filter = code(type);
  req.resource_name_filter = std::move(name);
  req.pattern_type_filter = code(pattern);
  req.principal_filter = std::nullopt;
  req.host_filter = std::nullopt;
  req.operation = code(acl_operation::any);
  req.permission_type = code(acl_permission::any);
  return req;
}

class acl_apis_test : public ::testing::Test {
 protected:
  void SetUp() override {
    _dir = std::filesystem::temp_directory_path() / ("acl-apis-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(_dir);
    _plain.emplace(std::move(security::plain_users::from_json(R"({"users":{"admin":"a","bob":"b"}})").value()));
    _sasl = std::make_unique<sasl_authenticator>(std::vector<std::string>{"PLAIN"}, nullptr, &*_plain,
                                                 std::chrono::milliseconds(0));
    start_broker(true);
  }
  void TearDown() override {
    _broker.reset();
    std::filesystem::remove_all(_dir);
  }

  void start_broker(bool with_authorizer) {
    _broker.reset();
    _store.reset();
    _authorizer.reset();
    auto options = test_options();
    options.sasl = _sasl.get();
    if (with_authorizer) {
      _authorizer = std::make_unique<security::authorizer>(security::authorizer_config{{"User:admin"}, false});
      _store = std::move(security::acl_store::open(_faults, _dir, _authorizer.get()).value());
      options.authorizer = _authorizer.get();
      options.acls = _store.get();
      options.super_users = {"User:admin"};
    }
    _broker = std::make_unique<test_broker>(std::move(options));
    _admin = authenticated_as("admin", "a");
    _bob = authenticated_as("bob", "b");
  }

  std::unique_ptr<sasl_session> authenticated_as(const std::string& user, const std::string& password) {
    auto s = std::make_unique<sasl_session>();
    EXPECT_EQ(s->handshake("PLAIN", 1, *_sasl), protocol::error_code::none);
    EXPECT_EQ(s->authenticate(std::string(1, '\0') + user + '\0' + password).error, protocol::error_code::none);
    return s;
  }

  template <typename Response, typename Request>
  Response call(const Request& request, std::int16_t version, sasl_session* session) {
    auto frame = request_frame(request, version);
    boost::asio::io_context io;
    dispatcher d(_broker->services());
    auto future =
        boost::asio::co_spawn(io,
                              d.handle(std::span<std::uint8_t>(frame),
                                       connection_facts{"192.0.2.1:5000", io.get_executor(), nullptr, "X", session}),
                              boost::asio::use_future);
    io.run();
    return read_response<Response>(*flattened(future.get()), version);
  }

  protocol::create_acls_response create(std::vector<protocol::create_acls_request::acl_creation> creations,
                                        std::int16_t version = 3) {
    protocol::create_acls_request req;
    req.creations = std::move(creations);
    return call<protocol::create_acls_response>(req, version, _admin.get());
  }

  // Describe as admin; the bindings as "TYPE:PATTERN:name principal OPERATION PERMISSION" lines.
  std::vector<std::string> described(const protocol::describe_acls_request& req, std::int16_t version = 3) {
    const auto resp = call<protocol::describe_acls_response>(req, version, _admin.get());
    EXPECT_EQ(resp.error_code, 0) << resp.error_message.value_or("");
    std::vector<std::string> out;
    for (const auto& r : resp.resources) {
      for (const auto& a : r.acls) {
        out.push_back(std::string(to_string(security::resource_type_from_code(r.resource_type))) + ":" +
                      std::string(to_string(security::pattern_type_from_code(r.pattern_type))) + ":" + r.resource_name +
                      " " + a.principal + " " + std::string(to_string(security::operation_from_code(a.operation))) +
                      " " + std::string(to_string(security::permission_from_code(a.permission_type))));
      }
    }
    return out;
  }

  void create_sample_acls() {
    const auto resp = create({
        creation(resource_type::topic, "orders", pattern_type::literal, "User:alice", acl_operation::read),
        creation(resource_type::topic, "orders", pattern_type::literal, "User:carol", acl_operation::write),
        creation(resource_type::topic, "ord", pattern_type::prefixed, "User:alice", acl_operation::describe),
        creation(resource_type::topic, "*", pattern_type::literal, "User:dave", acl_operation::read,
                 acl_permission::deny),
        creation(resource_type::group, "orders", pattern_type::literal, "User:alice", acl_operation::read),
    });
    ASSERT_EQ(resp.results.size(), 5u);
    for (const auto& r : resp.results) {
      EXPECT_EQ(r.error_code, 0) << r.error_message.value_or("");
      EXPECT_FALSE(r.error_message.has_value());
    }
  }

  std::filesystem::path _dir;
  io::fault_injecting_file_system _faults;  // acls.json's file system
  std::optional<security::plain_users> _plain;
  std::unique_ptr<sasl_authenticator> _sasl;
  std::unique_ptr<security::authorizer> _authorizer;
  std::unique_ptr<security::acl_store> _store;
  std::unique_ptr<test_broker> _broker;
  std::unique_ptr<sasl_session> _admin;
  std::unique_ptr<sasl_session> _bob;
};

TEST_F(acl_apis_test, created_acls_are_described_grouped_by_resource_and_reach_the_authorizer) {
  create_sample_acls();
  const auto resp = call<protocol::describe_acls_response>(
      describe_filter(resource_type::any, std::nullopt, pattern_type::any), 3, _admin.get());
  EXPECT_EQ(resp.error_code, 0);
  EXPECT_FALSE(resp.error_message.has_value());
  ASSERT_EQ(resp.resources.size(), 4u);  // TOPIC orders (two ACLs), TOPIC ord*, TOPIC *, GROUP orders
  std::size_t acls = 0;
  for (const auto& r : resp.resources) {
    acls += r.acls.size();
    if (r.resource_name == "orders" && r.resource_type == code(resource_type::topic)) {
      EXPECT_EQ(r.acls.size(), 2u);
    }
  }
  EXPECT_EQ(acls, 5u);
  EXPECT_TRUE(_authorizer->authorize(
      {.principal = "User:alice", .host = "10.0.0.1", .operation = acl_operation::read, .name = "orders"}));
  EXPECT_FALSE(_authorizer->authorize(
      {.principal = "User:bob", .host = "10.0.0.1", .operation = acl_operation::read, .name = "orders"}));
}

TEST_F(acl_apis_test, describe_filters_by_exact_pattern_any_and_match) {
  create_sample_acls();
  // LITERAL "orders": only the literal topic's two ACLs.
  EXPECT_EQ(described(describe_filter(resource_type::topic, "orders", pattern_type::literal)),
            (std::vector<std::string>{"TOPIC:LITERAL:orders User:alice READ ALLOW",
                                      "TOPIC:LITERAL:orders User:carol WRITE ALLOW"}));
  // PREFIXED "ord": the prefixed pattern exactly.
  EXPECT_EQ(described(describe_filter(resource_type::topic, "ord", pattern_type::prefixed)),
            (std::vector<std::string>{"TOPIC:PREFIXED:ord User:alice DESCRIBE ALLOW"}));
  // ANY "orders": any pattern type with exactly that name, of any resource type.
  EXPECT_EQ(described(describe_filter(resource_type::any, "orders", pattern_type::any)).size(), 3u);
  // MATCH "orders": everything that applies to the topic orders: literal, wildcard and prefix.
  const auto matched = described(describe_filter(resource_type::topic, "orders", pattern_type::match));
  EXPECT_EQ(matched.size(), 4u);
  EXPECT_NE(std::find(matched.begin(), matched.end(), "TOPIC:LITERAL:* User:dave READ DENY"), matched.end());
  EXPECT_NE(std::find(matched.begin(), matched.end(), "TOPIC:PREFIXED:ord User:alice DESCRIBE ALLOW"), matched.end());
  // By principal.
  auto by_principal = describe_filter(resource_type::any, std::nullopt, pattern_type::any);
  by_principal.principal_filter = "User:carol";
  EXPECT_EQ(described(by_principal), (std::vector<std::string>{"TOPIC:LITERAL:orders User:carol WRITE ALLOW"}));
}

TEST_F(acl_apis_test, v0_requests_speak_literal_patterns_only) {
  // v0 has no pattern type field: its creations are LITERAL and its filters match LITERAL only.
  const auto created =
      create({creation(resource_type::topic, "logs", pattern_type::literal, "User:alice", acl_operation::read)}, 0);
  ASSERT_EQ(created.results.size(), 1u);
  EXPECT_EQ(created.results[0].error_code, 0);
  ASSERT_EQ(create({creation(resource_type::topic, "lo", pattern_type::prefixed, "User:alice", acl_operation::read)})
                .results.at(0)
                .error_code,
            0);
  EXPECT_EQ(described(describe_filter(resource_type::topic, std::nullopt, pattern_type::literal), 0),
            (std::vector<std::string>{"TOPIC:LITERAL:logs User:alice READ ALLOW"}));
  EXPECT_EQ(described(describe_filter(resource_type::topic, std::nullopt, pattern_type::any), 1).size(), 2u);
}

TEST_F(acl_apis_test, delete_removes_what_each_filter_matches_and_lists_it) {
  create_sample_acls();
  protocol::delete_acls_request req;
  protocol::delete_acls_request::delete_acls_filter by_prefix_match;
  by_prefix_match.resource_type_filter = code(resource_type::topic);
  by_prefix_match.resource_name_filter = "ord";
  by_prefix_match.pattern_type_filter = code(pattern_type::prefixed);
  by_prefix_match.principal_filter = std::nullopt;
  by_prefix_match.host_filter = std::nullopt;
  by_prefix_match.operation = code(acl_operation::any);
  by_prefix_match.permission_type = code(acl_permission::any);
  auto by_deny = by_prefix_match;
  by_deny.resource_type_filter = code(resource_type::any);
  by_deny.resource_name_filter = std::nullopt;
  by_deny.pattern_type_filter = code(pattern_type::any);
  by_deny.permission_type = code(acl_permission::deny);
  auto matches_nothing = by_deny;
  matches_nothing.principal_filter = "User:nobody";
  req.filters = {by_prefix_match, by_deny, matches_nothing};

  const auto resp = call<protocol::delete_acls_response>(req, 3, _admin.get());
  ASSERT_EQ(resp.filter_results.size(), 3u);
  for (const auto& r : resp.filter_results) EXPECT_EQ(r.error_code, 0);
  ASSERT_EQ(resp.filter_results[0].matching_acls.size(), 1u);
  EXPECT_EQ(resp.filter_results[0].matching_acls[0].resource_name, "ord");
  EXPECT_EQ(resp.filter_results[0].matching_acls[0].pattern_type, code(pattern_type::prefixed));
  EXPECT_EQ(resp.filter_results[0].matching_acls[0].principal, "User:alice");
  EXPECT_FALSE(resp.filter_results[0].matching_acls[0].error_message.has_value());
  ASSERT_EQ(resp.filter_results[1].matching_acls.size(), 1u);
  EXPECT_EQ(resp.filter_results[1].matching_acls[0].principal, "User:dave");
  EXPECT_TRUE(resp.filter_results[2].matching_acls.empty());

  EXPECT_EQ(described(describe_filter(resource_type::any, std::nullopt, pattern_type::any)).size(), 3u);
  // A binding matched by two filters is listed under both.
  protocol::delete_acls_request twice;
  auto alice = by_prefix_match;
  alice.resource_type_filter = code(resource_type::any);
  alice.resource_name_filter = std::nullopt;
  alice.pattern_type_filter = code(pattern_type::any);
  alice.principal_filter = "User:alice";
  twice.filters = {alice, alice};
  const auto both = call<protocol::delete_acls_response>(twice, 2, _admin.get());
  ASSERT_EQ(both.filter_results.size(), 2u);
  EXPECT_EQ(both.filter_results[0].matching_acls.size(), 2u);  // TOPIC orders READ, GROUP orders READ
  EXPECT_EQ(both.filter_results[1].matching_acls, both.filter_results[0].matching_acls);
  // Durable: a store opened again from the directory has the same three ACLs.
  const auto reopened = security::acl_store::open(io::posix_file_system(), _dir).value();
  EXPECT_EQ(reopened->snapshot()->bindings().size(), 1u);
}

TEST_F(acl_apis_test, bindings_and_filters_kafka_refuses_are_invalid_request_and_the_valid_ones_are_stored) {
  const auto resp = create({
      creation(resource_type::topic, "t", pattern_type::any, "User:alice", acl_operation::read),
      creation(resource_type::topic, "t", pattern_type::match, "User:alice", acl_operation::read),
      creation(resource_type::any, "t", pattern_type::literal, "User:alice", acl_operation::read),
      creation(resource_type::topic, "t", pattern_type::literal, "User:alice", acl_operation::any),
      creation(resource_type::cluster, "other", pattern_type::literal, "User:alice", acl_operation::alter),
      creation(resource_type::topic, "t", pattern_type::literal, "alice", acl_operation::read),
      creation(static_cast<resource_type>(42), "t", pattern_type::literal, "User:alice", acl_operation::read),
      creation(resource_type::topic, "t", pattern_type::literal, "User:alice", acl_operation::read),
  });
  ASSERT_EQ(resp.results.size(), 8u);
  for (std::size_t i = 0; i + 1 < resp.results.size(); ++i) {
    EXPECT_EQ(resp.results[i].error_code, wire(protocol::error_code::invalid_request)) << i;
    EXPECT_FALSE(resp.results[i].error_message.value_or("").empty()) << i;
  }
  EXPECT_EQ(resp.results[0].error_message, "Invalid patternType ANY");
  EXPECT_EQ(resp.results[1].error_message, "Invalid patternType MATCH");
  EXPECT_EQ(resp.results[4].error_message, "The only valid name for the CLUSTER resource is kafka-cluster");
  EXPECT_EQ(resp.results[7].error_code, 0);
  EXPECT_EQ(_store->snapshot()->bindings().size(), 1u);

  auto unknown = describe_filter(resource_type::topic, std::nullopt, pattern_type::any);
  unknown.operation = 99;
  const auto described = call<protocol::describe_acls_response>(unknown, 3, _admin.get());
  EXPECT_EQ(described.error_code, wire(protocol::error_code::invalid_request));
  EXPECT_TRUE(described.resources.empty());
}

TEST_F(acl_apis_test, a_principal_without_alter_or_describe_on_the_cluster_is_refused) {
  create_sample_acls();
  protocol::create_acls_request create_req;
  create_req.creations = {
      creation(resource_type::topic, "x", pattern_type::literal, "User:bob", acl_operation::all),
      creation(resource_type::cluster, "kafka-cluster", pattern_type::literal, "User:bob", acl_operation::alter)};
  const auto created = call<protocol::create_acls_response>(create_req, 2, _bob.get());
  ASSERT_EQ(created.results.size(), 2u);
  for (const auto& r : created.results) {
    EXPECT_EQ(r.error_code, wire(protocol::error_code::cluster_authorization_failed));
  }
  EXPECT_EQ(_store->snapshot()->bindings().size(), 5u);

  const auto described = call<protocol::describe_acls_response>(
      describe_filter(resource_type::any, std::nullopt, pattern_type::any), 1, _bob.get());
  EXPECT_EQ(described.error_code, wire(protocol::error_code::cluster_authorization_failed));
  EXPECT_TRUE(described.resources.empty());

  protocol::delete_acls_request delete_req;
  auto& f = delete_req.filters.emplace_back();
  f.resource_type_filter = code(resource_type::any);
  f.pattern_type_filter = code(pattern_type::any);
  f.operation = code(acl_operation::any);
  f.permission_type = code(acl_permission::any);
  f.resource_name_filter = f.principal_filter = f.host_filter = std::nullopt;
  const auto deleted = call<protocol::delete_acls_response>(delete_req, 1, _bob.get());
  ASSERT_EQ(deleted.filter_results.size(), 1u);
  EXPECT_EQ(deleted.filter_results[0].error_code, wire(protocol::error_code::cluster_authorization_failed));
  EXPECT_EQ(_store->snapshot()->bindings().size(), 5u);

  // Granted DESCRIBE on the CLUSTER, bob may describe but still not create.
  ASSERT_EQ(create({creation(resource_type::cluster, "kafka-cluster", pattern_type::literal, "User:bob",
                             acl_operation::describe)})
                .results.at(0)
                .error_code,
            0);
  EXPECT_EQ(call<protocol::describe_acls_response>(describe_filter(resource_type::any, std::nullopt, pattern_type::any),
                                                   3, _bob.get())
                .error_code,
            0);
  EXPECT_EQ(call<protocol::create_acls_response>(create_req, 3, _bob.get()).results.at(0).error_code,
            wire(protocol::error_code::cluster_authorization_failed));
}

TEST_F(acl_apis_test, a_failed_acls_json_write_fails_the_request_and_changes_nothing) {
  create_sample_acls();
  _faults.set_write_error(true);
  const auto created =
      create({creation(resource_type::topic, "new", pattern_type::literal, "User:erin", acl_operation::read)});
  ASSERT_EQ(created.results.size(), 1u);
  EXPECT_EQ(created.results[0].error_code, wire(protocol::error_code::kafka_storage_error));
  EXPECT_EQ(created.results[0].error_message, "the ACLs could not be written");

  protocol::delete_acls_request req;
  auto& f = req.filters.emplace_back();
  f.resource_type_filter = code(resource_type::any);
  f.pattern_type_filter = code(pattern_type::any);
  f.operation = code(acl_operation::any);
  f.permission_type = code(acl_permission::any);
  f.resource_name_filter = f.principal_filter = f.host_filter = std::nullopt;
  const auto deleted = call<protocol::delete_acls_response>(req, 3, _admin.get());
  ASSERT_EQ(deleted.filter_results.size(), 1u);
  EXPECT_EQ(deleted.filter_results[0].error_code, wire(protocol::error_code::kafka_storage_error));
  EXPECT_TRUE(deleted.filter_results[0].matching_acls.empty());

  // Neither the served ACLs nor the file changed; the next attempt succeeds.
  EXPECT_EQ(_store->snapshot()->bindings().size(), 5u);
  EXPECT_EQ(security::acl_store::open(io::posix_file_system(), _dir).value()->snapshot()->bindings().size(), 5u);
  _faults.set_write_error(false);
  EXPECT_EQ(call<protocol::delete_acls_response>(req, 3, _admin.get()).filter_results.at(0).matching_acls.size(), 5u);
  EXPECT_TRUE(_store->snapshot()->bindings().empty());
}

TEST_F(acl_apis_test, without_an_authorizer_every_acl_api_answers_security_disabled) {
  start_broker(false);
  const auto created =
      create({creation(resource_type::topic, "t", pattern_type::literal, "User:alice", acl_operation::read)});
  ASSERT_EQ(created.results.size(), 1u);
  EXPECT_EQ(created.results[0].error_code, wire(protocol::error_code::security_disabled));
  EXPECT_EQ(created.results[0].error_message, "No Authorizer is configured.");

  const auto described = call<protocol::describe_acls_response>(
      describe_filter(resource_type::any, std::nullopt, pattern_type::any), 2, _bob.get());
  EXPECT_EQ(described.error_code, wire(protocol::error_code::security_disabled));
  EXPECT_EQ(described.error_message, "No Authorizer is configured.");

  protocol::delete_acls_request delete_req;
  delete_req.filters.emplace_back();
  const auto deleted = call<protocol::delete_acls_response>(delete_req, 0, _bob.get());
  ASSERT_EQ(deleted.filter_results.size(), 1u);
  EXPECT_EQ(deleted.filter_results[0].error_code, wire(protocol::error_code::security_disabled));
}

}  // namespace
}  // namespace spate::broker
