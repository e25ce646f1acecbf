#include "security/plain.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace spate::security {
namespace {

using namespace std::string_literals;

TEST(PlainMessage, ParsesWithAndWithoutAnAuthzid) {
  auto m = parse_plain("\0alice\0secret"s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->authzid, "");
  EXPECT_EQ(m->username, "alice");
  EXPECT_EQ(m->password, "secret");
  auto same = parse_plain("alice\0alice\0secret"s);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->authzid, "alice");
}

TEST(PlainMessage, RefusesMalformedMessagesWithKafkasMessages) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "Invalid SASL/PLAIN response: expected 3 tokens"},
      {"alice\0secret"s, "Invalid SASL/PLAIN response: expected 3 tokens"},
      {"\0alice\0secret\0"s, "Invalid SASL/PLAIN response: expected 3 tokens"},
      {"\0\0secret"s, "Authentication failed: username not specified"},
      {"\0alice\0"s, "Authentication failed: password not specified"},
      {"bob\0alice\0secret"s,
       "Authentication failed: Client requested an authorization id that is different from username"},
  };
  for (const auto& [message, expected] : cases) {
    auto m = parse_plain(message);
    ASSERT_FALSE(m) << expected;
    EXPECT_EQ(m.error().code, errc::authentication_failed);
    EXPECT_EQ(m.error().message, expected);
  }
  EXPECT_FALSE(parse_plain("\0alice\0"s + std::string(plain_max_message_size, 'x')));
}

TEST(PlainUsers, VerifiesPasswordsAndTreatsUnknownUsersLikeWrongPasswords) {
  auto users = plain_users::from_json(R"({"users": {"alice": "secret", "bob": "hunter2"}})");
  ASSERT_TRUE(users) << users.error().message;
  EXPECT_EQ(users->size(), 2u);
  EXPECT_TRUE(users->verify("alice", "secret"));
  EXPECT_FALSE(users->verify("alice", "secre"));
  EXPECT_FALSE(users->verify("alice", "hunter2"));
  EXPECT_FALSE(users->verify("carol", "secret"));
  EXPECT_FALSE(users->verify("carol", "no such user"));  // the dummy's preimage opens nothing

  EXPECT_EQ(authenticate_plain("\0bob\0hunter2"s, *users).value(), "bob");
  auto wrong = authenticate_plain("\0bob\0secret"s, *users);
  auto unknown = authenticate_plain("\0carol\0secret"s, *users);
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST(PlainUsers, RefusesMalformedFiles) {
  for (const char* bad : {"", "[]", "{}", R"({"users": []})", R"({"users": {"a": 1}})", R"({"users": {"a": ""}})",
                          R"({"users": {"": "x"}})", "{\"users\": {\"a\": \"x\"}"}) {
    auto users = plain_users::from_json(bad);
    ASSERT_FALSE(users) << bad;
    EXPECT_EQ(users.error().code, errc::corrupt_file);
  }
}

TEST(PlainUsers, LoadsAFileAndReportsAMissingOne) {
  const auto dir = std::filesystem::path(testing::TempDir()) / "plain_users_test";
  std::filesystem::create_directories(dir);
  const std::string text = R"({"users": {"alice": "secret"}})";
  ASSERT_TRUE(
      io::write_file_atomically(io::posix_file_system(), dir / "users.json",
                                base::byte_span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
  auto users = plain_users::load(io::posix_file_system(), dir / "users.json");
  ASSERT_TRUE(users);
  EXPECT_TRUE(users->verify("alice", "secret"));
  auto missing = plain_users::load(io::posix_file_system(), dir / "missing.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::io_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spate::security
