#include "security/credential_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/fault_injection.h"
#include "security/base64.h"
#include "security/scram_client.h"
#include "security/scram_server.h"

namespace spate::security {
namespace {

constexpr std::int8_t sha256 = 1;
constexpr std::int8_t sha512 = 2;

class CredentialStore : public testing::Test {
 protected:
  void SetUp() override {
    _dir = std::filesystem::path(testing::TempDir()) /
           ("credential_store_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(_dir);
    std::filesystem::create_directories(_dir);
  }
  void TearDown() override { std::filesystem::remove_all(_dir); }

  std::unique_ptr<credential_store> open() {
    auto store = credential_store::open(io::posix_file_system(), _dir);
    EXPECT_TRUE(store) << (store ? "" : store.error().message);
    return store ? std::move(*store) : nullptr;
  }
  std::string file_text() const {
    std::ifstream in(_dir / credential_store::file_name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void write_file(const std::string& text) const { std::ofstream(_dir / credential_store::file_name) << text; }

  static credential_store::upsertion with_password(std::string user, std::int8_t mechanism, int iterations) {
    auto u = credential_store::upsertion_from_password(std::move(user), scram_mechanism::sha256, "pw", 4096);
    u.mechanism = mechanism;
    u.iterations = iterations;
    return u;
  }

  std::filesystem::path _dir;
};

TEST_F(CredentialStore, CreatesTheFileWithAStableSecret) {
  std::string secret;
  {
    auto store = open();
    ASSERT_TRUE(store);
    secret = store->fake_credential_secret();
    EXPECT_EQ(secret.size(), 32u);
    EXPECT_TRUE(std::filesystem::exists(_dir / credential_store::file_name));
  }
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->fake_credential_secret(), secret);
  EXPECT_TRUE(again->describe(std::nullopt).empty());
}

TEST_F(CredentialStore, AStoredCredentialAuthenticatesAfterARestartAndThePasswordIsNotInTheFile) {
  const auto m = scram_mechanism::sha512;
  auto upsert = credential_store::upsertion_from_password("alice", m, "correct horse", 8192);
  {
    auto store = open();
    auto r = store->alter({}, {upsert});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].user, "alice");
    EXPECT_FALSE((*r)[0].error);
  }
  const std::string text = file_text();
  EXPECT_EQ(text.find("correct horse"), std::string::npos);
  EXPECT_EQ(text.find(base64_encode(upsert.salted_password)), std::string::npos);
  EXPECT_NE(text.find(base64_encode(upsert.salt)), std::string::npos);

  auto store = open();
  auto credential = store->lookup("alice", m);
  ASSERT_TRUE(credential);
  EXPECT_EQ(credential->iterations, 8192);
  EXPECT_FALSE(store->lookup("alice", scram_mechanism::sha256));
  EXPECT_FALSE(store->lookup("bob", m));

  scram_server server(
      m, [&](std::string_view user, bool) { return store->lookup(user, m); }, store->fake_credential_secret());
  scram_client client(m, "alice", "correct horse");
  auto first = server.handle_client_first(client.client_first());
  ASSERT_TRUE(first);
  auto final_message = client.handle_server_first(*first);
  ASSERT_TRUE(final_message);
  auto server_final = server.handle_client_final(*final_message);
  ASSERT_TRUE(server_final) << server.failure_reason();
  EXPECT_TRUE(client.handle_server_final(*server_final));
}

TEST_F(CredentialStore, RefusesInvalidAlterationsPerUserWithKafkasErrors) {
  auto store = open();
  auto empty_salt = with_password("salt", sha256, 4096);
  empty_salt.salt.clear();
  auto r = store->alter(
      {{"ghost", sha256}, {"nomech", 3}},
      {with_password("low", sha256, 4095), with_password("high", sha512, 16385), with_password("unknown", 0, 4096),
       with_password("", sha256, 4096), empty_salt, with_password("twice", sha256, 4096),
       with_password("twice", sha256, 5000), with_password("ok", sha256, 16384)});
  ASSERT_TRUE(r);
  const std::vector<std::pair<std::string, std::optional<errc>>> expected = {
      {"ghost", errc::resource_not_found},
      {"nomech", errc::unsupported_mechanism},
      {"low", errc::unacceptable_credential},
      {"high", errc::unacceptable_credential},
      {"unknown", errc::unsupported_mechanism},
      {"", errc::unacceptable_credential},
      {"salt", errc::unacceptable_credential},
      {"twice", errc::duplicate_resource},
      {"ok", std::nullopt},
  };
  ASSERT_EQ(r->size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*r)[i].user, expected[i].first);
    EXPECT_EQ((*r)[i].error ? std::optional((*r)[i].error->code) : std::nullopt, expected[i].second)
        << expected[i].first;
  }
  EXPECT_EQ((*r)[2].error->message, "Too few iterations");
  EXPECT_EQ((*r)[3].error->message, "Too many iterations");
  EXPECT_FALSE(store->lookup("twice", scram_mechanism::sha256));
  EXPECT_TRUE(store->lookup("ok", scram_mechanism::sha256));
}

TEST_F(CredentialStore, AUserWithOneBadAlterationKeepsItsOldCredentials) {
  auto store = open();
  ASSERT_TRUE(store->alter({}, {with_password("alice", sha256, 4096)}));
  auto r = store->alter({{"alice", sha256}}, {with_password("alice", sha512, 100)});
  ASSERT_TRUE(r);
  ASSERT_TRUE((*r)[0].error);
  EXPECT_TRUE(store->lookup("alice", scram_mechanism::sha256));
  EXPECT_FALSE(store->lookup("alice", scram_mechanism::sha512));
  // Deleting and upserting the same mechanism in one request is a duplicate.
  auto dup = store->alter({{"alice", sha256}}, {with_password("alice", sha256, 4096)});
  ASSERT_TRUE(dup);
  EXPECT_EQ((*dup)[0].error->code, errc::duplicate_resource);
}

TEST_F(CredentialStore, DeletesAndDescribes) {
  auto store = open();
  ASSERT_TRUE(store->alter({}, {with_password("alice", sha256, 4096), with_password("alice", sha512, 8192),
                                with_password("bob", sha256, 4096)}));
  auto all = store->describe(std::nullopt);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].user, "alice");
  EXPECT_EQ(all[0].credentials, (std::vector<std::pair<scram_mechanism, int>>{{scram_mechanism::sha256, 4096},
                                                                              {scram_mechanism::sha512, 8192}}));
  EXPECT_EQ(store->describe(std::vector<std::string>{}).size(), 2u);

  auto named = store->describe(std::vector<std::string>{"bob", "carol", "alice", "alice"});
  ASSERT_EQ(named.size(), 3u);
  EXPECT_EQ(named[0].user, "bob");
  EXPECT_FALSE(named[0].error);
  EXPECT_EQ(named[1].error->code, errc::resource_not_found);
  EXPECT_EQ(named[2].error->code, errc::duplicate_resource);

  auto r = store->alter({{"bob", sha256}, {"alice", sha512}}, {});
  ASSERT_TRUE(r);
  EXPECT_FALSE((*r)[0].error);
  auto after = store->describe(std::nullopt);
  ASSERT_EQ(after.size(), 1u);  // bob had one credential: he is gone
  EXPECT_EQ(after[0].credentials.size(), 1u);
  EXPECT_EQ(open()->describe(std::nullopt).size(), 1u);  // and durably so
}

TEST_F(CredentialStore, AFailedWriteChangesNothing) {
  io::fault_injecting_file_system fs;
  auto store = credential_store::open(fs, _dir);
  ASSERT_TRUE(store);
  fs.set_write_error(true);
  auto r = (*store)->alter({}, {with_password("alice", sha256, 4096)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io_error);
  EXPECT_FALSE((*store)->lookup("alice", scram_mechanism::sha256));
}

TEST_F(CredentialStore, ACorruptFileIsAClearErrorAtOpen) {
  write_file("{\"version\": 1, \"users\": ");
  auto store = credential_store::open(io::posix_file_system(), _dir);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, errc::corrupt_file);
  EXPECT_NE(store.error().message.find(credential_store::file_name), std::string::npos);
}

TEST(CredentialFile, RoundTripsAndRefusesEveryCorruption) {
  credential_store::table users;
  users["alice"][scram_mechanism::sha256] = derive_credential(scram_mechanism::sha256, "pw", "salt", 4096);
  const std::string text = encode_credentials("secret", users);
  auto decoded = decode_credentials(text);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->secret, "secret");
  EXPECT_EQ(decoded->users, users);

  const std::string key = base64_encode(users["alice"][scram_mechanism::sha256].stored_key);
  auto with = [&](std::string_view from, std::string_view to) {
    std::string t = text;
    const auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return t.replace(at, from.size(), to);
  };
  for (const std::string& bad :
       {std::string(""), std::string("[]"), with("\"version\": 1", "\"version\": 2"),
        with("\"fake_credential_secret\"", "\"other\""), with("\"users\"", "\"people\""),
        with("SCRAM-SHA-256", "SCRAM-SHA-1"), with("\"iterations\": 4096", "\"iterations\": 100"),
        with("\"iterations\": 4096", "\"iterations\": \"4096\""), with(key, key.substr(4)),
        with(key, "!!!!" + key.substr(4)), with("\"salt\"", "\"pepper\""), text.substr(0, text.size() / 2)}) {
    auto r = decode_credentials(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::corrupt_file);
  }
}

}  // namespace
}  // namespace spate::security
