// HTTP Basic authentication of the admin API against the SCRAM credential store
// (admin/basic_auth.h).
#include "admin/basic_auth.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "security/base64.h"
#include "security/credential_store.h"

namespace spate::admin {
namespace {

using namespace std::chrono_literals;

std::string basic(std::string_view user, std::string_view password) {
  return "Basic " + security::base64_encode(std::string(user) + ":" + std::string(password));
}

class basic_auth_test : public ::testing::Test {
 protected:
  void SetUp() override {
    _dir = std::filesystem::temp_directory_path() /
           ("basic_auth_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(_dir);
    std::filesystem::create_directories(_dir);
    auto store = security::credential_store::open(io::posix_file_system(), _dir);
    ASSERT_TRUE(store);
    _store = std::move(store.value());
    set_password("alice", security::scram_mechanism::sha512, "alice-secret");
    set_password("sam", security::scram_mechanism::sha256, "sam-secret");
  }
  void TearDown() override { std::filesystem::remove_all(_dir); }

  void set_password(const std::string& user, security::scram_mechanism m, std::string_view password) {
    ASSERT_TRUE(_store->alter({}, {security::credential_store::upsertion_from_password(user, m, password)}));
  }

  std::filesystem::path _dir;
  std::unique_ptr<security::credential_store> _store;
  basic_authenticator::clock::time_point _now = basic_authenticator::clock::now();
};

TEST_F(basic_auth_test, a_scram_users_password_authenticates_as_its_principal) {
  basic_authenticator auth(*_store, 100ms);
  EXPECT_EQ(auth.authenticate(basic("alice", "alice-secret"), "10.0.0.1", _now).principal, "User:alice");
  EXPECT_EQ(auth.authenticate(basic("sam", "sam-secret"), "10.0.0.1", _now).principal, "User:sam");  // SHA-256 only
  EXPECT_EQ(auth.authenticate("basic " + security::base64_encode("alice:alice-secret"), "10.0.0.1", _now).principal,
            "User:alice");  // the scheme is case-insensitive
  EXPECT_EQ(auth.failures(), 0u);
}

TEST_F(basic_auth_test, missing_malformed_and_wrong_credentials_fail_with_a_growing_delay) {
  basic_authenticator auth(*_store, 100ms);
  const auto missing = auth.authenticate("", "10.0.0.1", _now);
  EXPECT_FALSE(missing.principal);
  EXPECT_EQ(missing.failure_reason, "no Authorization header");
  EXPECT_EQ(missing.delay, 100ms);
  EXPECT_EQ(auth.authenticate("Bearer abc", "10.0.0.1", _now).failure_reason, "Authorization is not Basic");
  EXPECT_EQ(auth.authenticate("Basic !!!", "10.0.0.1", _now).failure_reason, "malformed Basic credentials");
  const auto wrong = auth.authenticate(basic("alice", "nope"), "10.0.0.1", _now);
  EXPECT_FALSE(wrong.principal);
  EXPECT_EQ(wrong.failure_reason, "wrong password");
  EXPECT_EQ(wrong.delay, 400ms);
  EXPECT_EQ(auth.authenticate(basic("mallory", "x"), "10.0.0.1", _now).failure_reason, "unknown user");
  EXPECT_EQ(auth.authenticate(basic("mallory", "x"), "10.0.0.2", _now).delay, 100ms);  // another peer
  EXPECT_EQ(auth.failures(), 6u);
}

TEST_F(basic_auth_test, a_changed_password_invalidates_the_cached_verification_at_once) {
  basic_authenticator auth(*_store, 100ms, 1h);
  ASSERT_TRUE(auth.authenticate(basic("alice", "alice-secret"), "10.0.0.1", _now).principal);
  set_password("alice", security::scram_mechanism::sha512, "new-secret");
  EXPECT_FALSE(auth.authenticate(basic("alice", "alice-secret"), "10.0.0.1", _now).principal);
  EXPECT_EQ(auth.authenticate(basic("alice", "new-secret"), "10.0.0.1", _now).principal, "User:alice");
  ASSERT_TRUE(_store->alter({{"alice", static_cast<std::int8_t>(security::scram_mechanism::sha512)}}, {}));
  EXPECT_FALSE(auth.authenticate(basic("alice", "new-secret"), "10.0.0.1", _now).principal);
}

TEST_F(basic_auth_test, the_cache_never_accepts_another_password_and_expires) {
  basic_authenticator auth(*_store, 100ms, 1s);
  ASSERT_TRUE(auth.authenticate(basic("alice", "alice-secret"), "10.0.0.1", _now).principal);
  EXPECT_FALSE(auth.authenticate(basic("alice", "alice-secret2"), "10.0.0.1", _now).principal);
  EXPECT_TRUE(auth.authenticate(basic("alice", "alice-secret"), "10.0.0.1", _now + 2s).principal);  // verified again
}

}  // namespace
}  // namespace spate::admin
