// Describe/AlterUserScramCredentials through the dispatcher, on a PLAINTEXT connection (no SASL
// session) and on SASL connections authenticated as a super user or as an ordinary one; and the
// dispatcher's gate for requests before authentication.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>

#include "broker/dispatcher.h"
#include "broker/sasl_authenticator.h"
#include "broker/sasl_session.h"
#include "broker_test_support.h"
#include "protocol/messages/alter_user_scram_credentials.h"
#include "protocol/messages/describe_user_scram_credentials.h"
#include "protocol/messages/metadata.h"
#include "security/credential_store.h"
#include "security/plain.h"

namespace spate::broker {
namespace {

using namespace spate::broker::testing;

class user_scram_credentials_test : public ::testing::Test {
 protected:
  void SetUp() override {
    _dir = std::filesystem::temp_directory_path() / ("user-scram-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(_dir);
    _store = std::move(security::credential_store::open(io::posix_file_system(), _dir).value());
    _plain.emplace(std::move(security::plain_users::from_json(R"({"users":{"root":"r","bob":"b"}})").value()));
    _sasl = std::make_unique<sasl_authenticator>(std::vector<std::string>{"PLAIN"}, _store.get(), &*_plain,
                                                 std::chrono::milliseconds(0));
    auto options = test_options();
    options.credentials = _store.get();
    options.super_users = {"User:root"};
    options.sasl = _sasl.get();
    _broker = std::make_unique<test_broker>(std::move(options));
  }
  void TearDown() override {
    _broker.reset();
    std::filesystem::remove_all(_dir);
  }

  std::unique_ptr<sasl_session> authenticated_as(const std::string& user, const std::string& password) {
    auto s = std::make_unique<sasl_session>();
    EXPECT_EQ(s->handshake("PLAIN", 1, *_sasl), protocol::error_code::none);
    EXPECT_EQ(s->authenticate(std::string(1, '\0') + user + '\0' + password).error, protocol::error_code::none);
    return s;
  }

  std::optional<base::byte_buffer> call(base::byte_buffer frame, sasl_session* session) {
    boost::asio::io_context io;
    dispatcher d(_broker->services());
    auto future =
        boost::asio::co_spawn(io,
                              d.handle(std::span<std::uint8_t>(frame),
                                       connection_facts{"192.0.2.1:5000", io.get_executor(), nullptr, "X", session}),
                              boost::asio::use_future);
    io.run();
    return flattened(future.get());
  }

  std::int16_t create_user(const std::string& user, sasl_session* session) {
    const auto up =
        security::credential_store::upsertion_from_password(user, security::scram_mechanism::sha256, "secret", 4096);
    protocol::alter_user_scram_credentials_request req;
    auto& u = req.upsertions.emplace_back();
    u.name = up.user;
    u.mechanism = up.mechanism;
    u.iterations = up.iterations;
    u.salt.assign(up.salt.begin(), up.salt.end());
    u.salted_password.assign(up.salted_password.begin(), up.salted_password.end());
    const auto resp =
        read_response<protocol::alter_user_scram_credentials_response>(*call(request_frame(req, 0), session), 0);
    EXPECT_EQ(resp.results.size(), 1u);
    return resp.results.at(0).error_code;
  }

  std::filesystem::path _dir;
  std::unique_ptr<security::credential_store> _store;
  std::optional<security::plain_users> _plain;
  std::unique_ptr<sasl_authenticator> _sasl;
  std::unique_ptr<test_broker> _broker;
};

TEST_F(user_scram_credentials_test, plaintext_connections_and_super_users_may_alter_others_may_not) {
  EXPECT_EQ(create_user("alice", nullptr), 0);
  auto root = authenticated_as("root", "r");
  EXPECT_EQ(create_user("carol", root.get()), 0);
  auto bob = authenticated_as("bob", "b");
  EXPECT_EQ(create_user("dave", bob.get()),
            static_cast<std::int16_t>(protocol::error_code::cluster_authorization_failed));
  EXPECT_FALSE(_store->lookup("dave", security::scram_mechanism::sha256));
  EXPECT_TRUE(_store->lookup("alice", security::scram_mechanism::sha256));
}

TEST_F(user_scram_credentials_test, describe_lists_mechanisms_and_iterations_and_reports_unknown_users) {
  ASSERT_EQ(create_user("alice", nullptr), 0);
  protocol::describe_user_scram_credentials_request req;
  req.users.emplace();
  req.users->emplace_back().name = "alice";
  req.users->emplace_back().name = "nobody";
  const auto resp =
      read_response<protocol::describe_user_scram_credentials_response>(*call(request_frame(req, 0), nullptr), 0);
  ASSERT_EQ(resp.results.size(), 2u);
  EXPECT_EQ(resp.results[0].user, "alice");
  ASSERT_EQ(resp.results[0].credential_infos.size(), 1u);
  EXPECT_EQ(resp.results[0].credential_infos[0].iterations, 4096);
  EXPECT_EQ(resp.results[1].error_code, static_cast<std::int16_t>(protocol::error_code::resource_not_found));
}

TEST_F(user_scram_credentials_test, a_request_before_authentication_is_rejected_and_raw_tokens_follow_a_v0_handshake) {
  sasl_session fresh;
  protocol::metadata_request metadata;
  EXPECT_THROW(call(request_frame(metadata, 1), &fresh), request_rejected);

  sasl_session raw;
  ASSERT_EQ(raw.handshake("PLAIN", 0, *_sasl), protocol::error_code::none);
  const std::string token = std::string(1, '\0') + "bob" + '\0' + "b";
  const auto answer = call(base::byte_buffer(token.begin(), token.end()), &raw);
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->empty());  // PLAIN's server token
  EXPECT_EQ(raw.principal(), "User:bob");
}

}  // namespace
}  // namespace spate::broker
