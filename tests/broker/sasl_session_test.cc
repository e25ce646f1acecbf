// The per-connection SASL state machine (broker/sasl_session.h), driven with real exchanges: PLAIN
// against a users table and SCRAM against a credential store, the client side by
// security::scram_client.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <limits>

#include "broker/sasl_authenticator.h"
#include "broker/sasl_session.h"
#include "security/credential_store.h"
#include "security/plain.h"
#include "security/scram_client.h"

namespace spate::broker {
namespace {

using protocol::api_key;
using protocol::error_code;
using state = sasl_session::state;

std::string plain_token(std::string_view user, std::string_view password) {
  return std::string(1, '\0') + std::string(user) + '\0' + std::string(password);
}

class sasl_session_test : public ::testing::Test {
 protected:
  void SetUp() override {
    _dir = std::filesystem::temp_directory_path() /
           ("sasl_session_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(_dir);
    std::filesystem::create_directories(_dir);
    auto store = security::credential_store::open(io::posix_file_system(), _dir);
    ASSERT_TRUE(store);
    _store = std::move(store.value());
    auto up = security::credential_store::upsertion_from_password("alice", security::scram_mechanism::sha512,
                                                                  "alice-secret", 4096);
    auto carol = security::credential_store::upsertion_from_password("carol", security::scram_mechanism::sha512,
                                                                     "carol-secret", 4096);
    ASSERT_TRUE(_store->alter({}, {up, carol}));
    auto users = security::plain_users::from_json(R"({"users":{"bob":"bob-secret"}})");
    ASSERT_TRUE(users);
    _plain = std::move(users.value());
    _sasl = std::make_unique<sasl_authenticator>(std::vector<std::string>{"SCRAM-SHA-512", "PLAIN"}, _store.get(),
                                                 &*_plain, std::chrono::milliseconds(100));
  }
  void TearDown() override { std::filesystem::remove_all(_dir); }

  // A complete SCRAM exchange; the error of the first failing step, or none.
  error_code scram(sasl_session& s, std::string_view user, std::string_view password,
                   const sasl_session::completion_terms& terms = sasl_session::completion_terms{}) {
    security::scram_client client(security::scram_mechanism::sha512, std::string(user), std::string(password));
    auto first = s.authenticate(client.client_first(), terms);
    if (first.error != error_code::none) return first.error;
    auto final_message = client.handle_server_first(first.token);
    EXPECT_TRUE(final_message);
    auto last = s.authenticate(*final_message, terms);
    _last_lifetime = last.session_lifetime_ms;
    _last_reauthenticated = last.reauthenticated;
    if (last.error != error_code::none) {
      _last_message = last.message;
      return last.error;
    }
    EXPECT_TRUE(client.handle_server_final(last.token));
    return error_code::none;
  }

  std::filesystem::path _dir;
  std::unique_ptr<security::credential_store> _store;
  std::optional<security::plain_users> _plain;
  std::unique_ptr<sasl_authenticator> _sasl;
  std::string _last_message;
  std::int64_t _last_lifetime = 0;
  bool _last_reauthenticated = false;
};

TEST_F(sasl_session_test, before_authentication_only_api_versions_and_the_sasl_apis_are_allowed) {
  sasl_session s;
  EXPECT_TRUE(s.allows(api_key::api_versions));
  EXPECT_TRUE(s.allows(api_key::sasl_handshake));
  EXPECT_TRUE(s.allows(api_key::sasl_authenticate));
  EXPECT_FALSE(s.allows(api_key::metadata));
  EXPECT_FALSE(s.allows(api_key::produce));
  EXPECT_TRUE(s.principal().empty());
}

TEST_F(sasl_session_test, scram_exchange_authenticates_the_user_and_then_everything_is_allowed) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  EXPECT_FALSE(s.expects_raw_token());
  ASSERT_EQ(scram(s, "alice", "alice-secret"), error_code::none);
  EXPECT_EQ(s.current(), state::authenticated);
  EXPECT_EQ(s.principal(), "User:alice");
  EXPECT_TRUE(s.allows(api_key::produce));
}

TEST_F(sasl_session_test, wrong_password_and_unknown_user_fail_alike_and_nothing_is_allowed_after) {
  sasl_session wrong;
  ASSERT_EQ(wrong.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  EXPECT_EQ(scram(wrong, "alice", "nope"), error_code::sasl_authentication_failed);
  const auto wrong_message = _last_message;
  EXPECT_EQ(wrong.current(), state::failed);
  EXPECT_FALSE(wrong.allows(api_key::api_versions));

  sasl_session unknown;
  ASSERT_EQ(unknown.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  EXPECT_EQ(scram(unknown, "mallory", "x"), error_code::sasl_authentication_failed);
  EXPECT_EQ(_last_message, wrong_message);
  EXPECT_NE(wrong_message.find("SCRAM-SHA-512"), std::string::npos);
}

TEST_F(sasl_session_test, handshake_refuses_disabled_mechanisms_and_a_second_handshake) {
  sasl_session s;
  EXPECT_EQ(s.handshake("SCRAM-SHA-256", 1, *_sasl), error_code::unsupported_sasl_mechanism);
  EXPECT_EQ(s.handshake("GSSAPI", 1, *_sasl), error_code::unsupported_sasl_mechanism);
  EXPECT_EQ(s.current(), state::handshake);
  ASSERT_EQ(s.handshake("PLAIN", 1, *_sasl), error_code::none);
  EXPECT_EQ(s.handshake("PLAIN", 1, *_sasl), error_code::illegal_sasl_state);
}

TEST_F(sasl_session_test, authenticate_before_handshake_is_an_illegal_state) {
  sasl_session s;
  EXPECT_EQ(s.authenticate(plain_token("bob", "bob-secret")).error, error_code::illegal_sasl_state);
}

TEST_F(sasl_session_test, v0_handshake_switches_to_raw_tokens_until_the_exchange_ends) {
  sasl_session s;
  ASSERT_EQ(s.handshake("PLAIN", 0, *_sasl), error_code::none);
  EXPECT_TRUE(s.expects_raw_token());
  const auto r = s.authenticate(plain_token("bob", "bob-secret"));
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_FALSE(s.expects_raw_token());
  EXPECT_EQ(s.principal(), "User:bob");
}

TEST_F(sasl_session_test, plain_wrong_password_and_unknown_user_give_the_same_message) {
  sasl_session a;
  sasl_session b;
  ASSERT_EQ(a.handshake("PLAIN", 1, *_sasl), error_code::none);
  ASSERT_EQ(b.handshake("PLAIN", 1, *_sasl), error_code::none);
  const auto wrong = a.authenticate(plain_token("bob", "nope"));
  const auto unknown = b.authenticate(plain_token("nobody", "nope"));
  EXPECT_EQ(wrong.error, error_code::sasl_authentication_failed);
  EXPECT_EQ(unknown.error, error_code::sasl_authentication_failed);
  EXPECT_EQ(wrong.message, unknown.message);
}

TEST_F(sasl_session_test, failure_delay_grows_with_a_peers_failures_and_resets_after_a_minute) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(_sasl->record_failure("10.0.0.1", t0).count(), 100);
  EXPECT_EQ(_sasl->record_failure("10.0.0.1", t0).count(), 200);
  EXPECT_EQ(_sasl->record_failure("10.0.0.2", t0).count(), 100);  // another peer is not slowed
  EXPECT_EQ(_sasl->record_failure("10.0.0.1", t0 + std::chrono::minutes(2)).count(), 100);
  for (int i = 0; i < 100; ++i) (void)_sasl->record_failure("10.0.0.3", t0);
  EXPECT_EQ(_sasl->record_failure("10.0.0.3", t0).count(), 5000);
  EXPECT_EQ(_sasl->failures(), 105u);
  EXPECT_EQ(peer_ip("[::1]:9092"), "::1");
  EXPECT_EQ(peer_ip("127.0.0.1:5000"), "127.0.0.1");
}

// KIP-368 re-authentication: terms of an exchange completed at `now_ms` with a 2 s lifetime in
// SaslAuthenticate v1+.
sasl_session::completion_terms v1_terms(std::int64_t now_ms) { return {now_ms, 2000, true}; }

TEST_F(sasl_session_test, without_a_lifetime_a_session_never_expires) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  ASSERT_EQ(scram(s, "alice", "alice-secret", {1000, 0, true}), error_code::none);
  EXPECT_EQ(_last_lifetime, 0);
  EXPECT_FALSE(s.expired(std::numeric_limits<std::int64_t>::max()));
}

TEST_F(sasl_session_test, a_session_expires_after_its_lifetime_and_reports_it) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  ASSERT_EQ(scram(s, "alice", "alice-secret", v1_terms(10'000)), error_code::none);
  EXPECT_EQ(_last_lifetime, 2000);
  EXPECT_FALSE(_last_reauthenticated);
  EXPECT_FALSE(s.expired(11'999));
  EXPECT_TRUE(s.expired(12'000));
}

TEST_F(sasl_session_test, a_v1_client_reauthenticates_as_the_same_principal_and_its_session_is_renewed) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  ASSERT_EQ(scram(s, "alice", "alice-secret", v1_terms(10'000)), error_code::none);
  const std::string* principal = &s.principal();

  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  EXPECT_TRUE(s.reauthenticating());
  EXPECT_EQ(s.principal(), "User:alice");    // requests in flight keep their principal
  EXPECT_FALSE(s.allows(api_key::produce));  // nothing but SASL until the exchange ends
  EXPECT_FALSE(s.expired(50'000));           // an exchange in progress is not "expired"
  ASSERT_EQ(scram(s, "alice", "alice-secret", v1_terms(11'500)), error_code::none);
  EXPECT_TRUE(_last_reauthenticated);
  EXPECT_EQ(s.current(), state::authenticated);
  EXPECT_EQ(&s.principal(), principal);
  EXPECT_EQ(s.principal(), "User:alice");
  EXPECT_FALSE(s.expired(13'000));
  EXPECT_TRUE(s.expired(13'500));
}

TEST_F(sasl_session_test, reauthentication_as_another_principal_fails_and_closes) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  ASSERT_EQ(scram(s, "alice", "alice-secret", v1_terms(0)), error_code::none);
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  EXPECT_EQ(scram(s, "carol", "carol-secret", v1_terms(1000)), error_code::sasl_authentication_failed);
  EXPECT_EQ(_last_message, "Cannot change principals during re-authentication from User:alice: User:carol");
  EXPECT_EQ(s.current(), state::failed);
  EXPECT_FALSE(s.allows(api_key::produce));
}

TEST_F(sasl_session_test, reauthentication_with_a_wrong_password_fails_and_closes) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  ASSERT_EQ(scram(s, "alice", "alice-secret", v1_terms(0)), error_code::none);
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  EXPECT_EQ(scram(s, "alice", "nope", v1_terms(1000)), error_code::sasl_authentication_failed);
  EXPECT_EQ(s.current(), state::failed);
}

TEST_F(sasl_session_test, reauthentication_may_not_change_mechanism) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  ASSERT_EQ(scram(s, "alice", "alice-secret", v1_terms(0)), error_code::none);
  EXPECT_EQ(s.handshake("PLAIN", 1, *_sasl), error_code::illegal_sasl_state);
  EXPECT_EQ(s.current(), state::failed);
}

TEST_F(sasl_session_test, a_v0_saslauthenticate_client_cannot_reauthenticate_but_still_expires) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  ASSERT_EQ(scram(s, "alice", "alice-secret", {0, 2000, false}), error_code::none);
  EXPECT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::illegal_sasl_state);
  EXPECT_EQ(s.current(), state::authenticated);  // answered, not closed (Kafka's KafkaApis)
  EXPECT_TRUE(s.expired(2000));
}

TEST_F(sasl_session_test, a_v0_handshake_cannot_start_a_reauthentication) {
  sasl_session s;
  ASSERT_EQ(s.handshake("SCRAM-SHA-512", 1, *_sasl), error_code::none);
  ASSERT_EQ(scram(s, "alice", "alice-secret", v1_terms(0)), error_code::none);
  EXPECT_EQ(s.handshake("SCRAM-SHA-512", 0, *_sasl), error_code::illegal_sasl_state);
  EXPECT_EQ(s.current(), state::authenticated);
}

}  // namespace
}  // namespace spate::broker
