#include "security/authorizer.h"

#include <gtest/gtest.h>

#include <thread>

namespace spate::security {
namespace {

using op = acl_operation;
using rt = resource_type;
constexpr auto allow = acl_permission::allow;
constexpr auto deny = acl_permission::deny;
constexpr auto literal = pattern_type::literal;
constexpr auto prefixed = pattern_type::prefixed;

acl_binding acl(rt type, std::string name, pattern_type pattern, std::string principal, op operation,
                acl_permission permission, std::string host = "*") {
  return {{type, std::move(name), pattern}, {std::move(principal), std::move(host), operation, permission}};
}

struct row {
  const char* why;
  std::vector<acl_binding> acls;
  std::string principal;
  std::string host;
  op operation;
  rt type;
  std::string name;
  bool allowed;
};

// The rules of Kafka's documentation (security.html, "Authorization and ACLs"; the AclOperation
// javadoc for implied operations; KAFKA-14435 for allow.everyone.if.no.acl.found).
TEST(Authorizer, DecidesAsKafkaDoes) {
  const std::string alice = "User:alice";
  const std::string h = "10.0.0.1";
  const row rows[] = {
      {"no ACLs: denied by default", {}, alice, h, op::read, rt::topic, "t", false},
      {"literal allow",
       {acl(rt::topic, "t", literal, alice, op::read, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       true},
      {"other operation",
       {acl(rt::topic, "t", literal, alice, op::read, allow)},
       alice,
       h,
       op::write,
       rt::topic,
       "t",
       false},
      {"other topic",
       {acl(rt::topic, "t", literal, alice, op::read, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "u",
       false},
      {"other resource type",
       {acl(rt::topic, "t", literal, alice, op::read, allow)},
       alice,
       h,
       op::read,
       rt::group,
       "t",
       false},
      {"other principal",
       {acl(rt::topic, "t", literal, "User:bob", op::read, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       false},
      {"User:* is everyone",
       {acl(rt::topic, "t", literal, "User:*", op::read, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       true},
      {"host must match",
       {acl(rt::topic, "t", literal, alice, op::read, allow, "10.0.0.2")},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       false},
      {"exact host",
       {acl(rt::topic, "t", literal, alice, op::read, allow, h)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       true},
      {"ALL allows everything",
       {acl(rt::topic, "t", literal, alice, op::all, allow)},
       alice,
       h,
       op::alter_configs,
       rt::topic,
       "t",
       true},
      {"READ implies DESCRIBE",
       {acl(rt::topic, "t", literal, alice, op::read, allow)},
       alice,
       h,
       op::describe,
       rt::topic,
       "t",
       true},
      {"WRITE implies DESCRIBE",
       {acl(rt::topic, "t", literal, alice, op::write, allow)},
       alice,
       h,
       op::describe,
       rt::topic,
       "t",
       true},
      {"DELETE implies DESCRIBE",
       {acl(rt::topic, "t", literal, alice, op::remove, allow)},
       alice,
       h,
       op::describe,
       rt::topic,
       "t",
       true},
      {"ALTER implies DESCRIBE",
       {acl(rt::topic, "t", literal, alice, op::alter, allow)},
       alice,
       h,
       op::describe,
       rt::topic,
       "t",
       true},
      {"CREATE does not imply DESCRIBE",
       {acl(rt::topic, "t", literal, alice, op::create, allow)},
       alice,
       h,
       op::describe,
       rt::topic,
       "t",
       false},
      {"DESCRIBE does not imply READ",
       {acl(rt::topic, "t", literal, alice, op::describe, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       false},
      {"ALTER_CONFIGS implies DESCRIBE_CONFIGS",
       {acl(rt::topic, "t", literal, alice, op::alter_configs, allow)},
       alice,
       h,
       op::describe_configs,
       rt::topic,
       "t",
       true},
      {"DESCRIBE_CONFIGS does not imply ALTER_CONFIGS",
       {acl(rt::topic, "t", literal, alice, op::describe_configs, allow)},
       alice,
       h,
       op::alter_configs,
       rt::topic,
       "t",
       false},
      {"deny beats allow",
       {acl(rt::topic, "t", literal, alice, op::read, allow), acl(rt::topic, "t", literal, alice, op::read, deny)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       false},
      {"deny for everyone beats allow for one",
       {acl(rt::topic, "t", literal, alice, op::read, allow), acl(rt::topic, "t", literal, "User:*", op::read, deny)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       false},
      {"deny ALL beats allow READ",
       {acl(rt::topic, "t", literal, alice, op::read, allow), acl(rt::topic, "*", literal, alice, op::all, deny)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       false},
      {"deny from one host only",
       {acl(rt::topic, "t", literal, alice, op::read, allow),
        acl(rt::topic, "t", literal, alice, op::read, deny, "10.9.9.9")},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       true},
      {"deny READ does not deny DESCRIBE",
       {acl(rt::topic, "t", literal, alice, op::describe, allow), acl(rt::topic, "t", literal, alice, op::read, deny)},
       alice,
       h,
       op::describe,
       rt::topic,
       "t",
       true},
      {"deny READ leaves WRITE's implied DESCRIBE",
       {acl(rt::topic, "t", literal, alice, op::write, allow), acl(rt::topic, "t", literal, alice, op::read, deny)},
       alice,
       h,
       op::describe,
       rt::topic,
       "t",
       true},
      {"literal * is every topic",
       {acl(rt::topic, "*", literal, alice, op::read, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "anything",
       true},
      {"literal * does not cross resource types",
       {acl(rt::topic, "*", literal, alice, op::read, allow)},
       alice,
       h,
       op::read,
       rt::group,
       "anything",
       false},
      {"prefixed matches names starting with it",
       {acl(rt::topic, "fin-", prefixed, alice, op::write, allow)},
       alice,
       h,
       op::write,
       rt::topic,
       "fin-payments",
       true},
      {"prefixed matches the prefix itself",
       {acl(rt::topic, "fin-", prefixed, alice, op::write, allow)},
       alice,
       h,
       op::write,
       rt::topic,
       "fin-",
       true},
      {"prefixed does not match other names",
       {acl(rt::topic, "fin-", prefixed, alice, op::write, allow)},
       alice,
       h,
       op::write,
       rt::topic,
       "fi",
       false},
      {"prefixed * is a literal prefix, not a wildcard",
       {acl(rt::topic, "*", prefixed, alice, op::read, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "t",
       false},
      {"literal name is not a prefix",
       {acl(rt::topic, "fin", literal, alice, op::read, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "finance",
       false},
      {"prefixed deny beats literal allow",
       {acl(rt::topic, "orders", literal, alice, op::read, allow),
        acl(rt::topic, "ord", prefixed, alice, op::read, deny)},
       alice,
       h,
       op::read,
       rt::topic,
       "orders",
       false},
      {"a shorter prefix applies too",
       {acl(rt::topic, "a", prefixed, alice, op::read, allow),
        acl(rt::topic, "abc", prefixed, "User:bob", op::read, allow)},
       alice,
       h,
       op::read,
       rt::topic,
       "abcd",
       true},
      {"groups and transactional ids",
       {acl(rt::transactional_id, "tx-", prefixed, alice, op::write, allow)},
       alice,
       h,
       op::write,
       rt::transactional_id,
       "tx-1",
       true},
      {"cluster",
       {acl(rt::cluster, "kafka-cluster", literal, alice, op::idempotent_write, allow)},
       alice,
       h,
       op::idempotent_write,
       rt::cluster,
       "kafka-cluster",
       true},
  };
  for (const auto& r : rows) {
    const acl_index index(r.acls);
    EXPECT_EQ(authorize(index, {}, {r.principal, r.host, r.operation, r.type, r.name}), r.allowed) << r.why;
  }
}

TEST(Authorizer, SuperUsersAreAlwaysAllowed) {
  const acl_index index({acl(rt::topic, "t", literal, "User:admin", op::all, deny)});
  const authorizer_config config{{"User:admin"}, false};
  EXPECT_TRUE(authorize(index, config, {"User:admin", "1.2.3.4", op::read, rt::topic, "t"}));
  EXPECT_TRUE(authorize(index, config, {"User:admin", "1.2.3.4", op::alter, rt::cluster, "kafka-cluster"}));
  EXPECT_FALSE(authorize(index, config, {"User:administrator", "1.2.3.4", op::read, rt::topic, "u"}));
}

// allow.everyone.if.no.acl.found applies only when no ACL at all applies to the resource, whoever
// it names (KAFKA-14435).
TEST(Authorizer, AllowEveryoneIfNoAclFoundOnlyWithoutAnyAclOnTheResource) {
  const authorizer_config config{{}, true};
  const acl_index index({acl(rt::topic, "t", literal, "User:bob", op::read, allow),
                         acl(rt::topic, "p-", prefixed, "User:bob", op::write, allow)});
  EXPECT_TRUE(authorize(index, config, {"User:alice", "h", op::read, rt::topic, "other"}));
  EXPECT_TRUE(authorize(index, config, {"User:alice", "h", op::read, rt::group, "t"}));
  EXPECT_FALSE(authorize(index, config, {"User:alice", "h", op::read, rt::topic, "t"}));
  EXPECT_FALSE(authorize(index, config, {"User:alice", "h", op::read, rt::topic, "p-1"}));  // via the prefix
  EXPECT_FALSE(authorize(index, {}, {"User:alice", "h", op::read, rt::topic, "other"}));
  // A wildcard ACL applies to every resource of its type.
  const acl_index wildcard({acl(rt::topic, "*", literal, "User:bob", op::read, allow)});
  EXPECT_FALSE(authorize(wildcard, config, {"User:alice", "h", op::read, rt::topic, "other"}));
}

TEST(Authorizer, ScalesToTenThousandAcls) {
  std::vector<acl_binding> acls;
  for (int i = 0; i < 5000; ++i) {
    acls.push_back(
        acl(rt::topic, "topic-" + std::to_string(i), literal, "User:u" + std::to_string(i), op::read, allow));
    acls.push_back(
        acl(rt::topic, "pre-" + std::to_string(i) + "-", prefixed, "User:u" + std::to_string(i), op::write, allow));
  }
  const acl_index index(std::move(acls));
  EXPECT_EQ(index.bindings().size(), 10000u);
  // Each lookup visits only what applies, so many lookups stay fast even unoptimised.
  int allowed = 0;
  for (int i = 0; i < 100000; ++i) {
    const std::string user = "User:u" + std::to_string(i % 5000);
    const std::string topic = "pre-" + std::to_string(i % 5000) + "-x";
    allowed += authorize(index, {}, {user, "h", op::write, rt::topic, topic});
  }
  EXPECT_EQ(allowed, 100000);
  EXPECT_FALSE(authorize(index, {}, {"User:u1", "h", op::write, rt::topic, "pre-2-x"}));
}

TEST(Authorizer, ReadersSeeAWholeSnapshotWhileItIsReplaced) {
  authorizer auth({});
  const authorization_request request{"User:alice", "h", op::read, rt::topic, "t"};
  EXPECT_FALSE(auth.authorize(request));
  auto allowing = std::make_shared<const acl_index>(
      std::vector<acl_binding>{acl(rt::topic, "t", literal, "User:alice", op::read, allow)});
  auto denying = std::make_shared<const acl_index>(
      std::vector<acl_binding>{acl(rt::topic, "t", literal, "User:alice", op::read, allow),
                               acl(rt::topic, "t", literal, "User:alice", op::read, deny)});
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) auth.set_acls(i % 2 ? allowing : denying);
    stop = true;
  });
  while (!stop) (void)auth.authorize(request);
  writer.join();
  auth.set_acls(allowing);
  EXPECT_TRUE(auth.authorize(request));
}

// Kafka's authorizeByResourceType (KIP-679): some resource of the type, with DENYs that cover it.
TEST(Authorizer, AuthorizesAnyResourceOfATypeAsKafkaDoes) {
  const std::string alice = "User:alice";
  const authorization_request write_any{alice, "h", op::write, rt::topic, ""};
  const auto decide = [&](std::vector<acl_binding> acls, authorizer_config config = {}) {
    return authorize_any(acl_index(std::move(acls)), config, write_any);
  };
  EXPECT_FALSE(decide({}));
  EXPECT_TRUE(decide({}, {{alice}, false}));  // a super user
  EXPECT_TRUE(decide({}, {{}, true}));        // no ACL found
  EXPECT_TRUE(decide({acl(rt::topic, "t", literal, alice, op::write, allow)}));
  EXPECT_TRUE(decide({acl(rt::topic, "p", prefixed, "User:*", op::all, allow)}));
  EXPECT_FALSE(decide({acl(rt::topic, "t", literal, alice, op::read, allow)}));   // another operation
  EXPECT_FALSE(decide({acl(rt::group, "t", literal, alice, op::write, allow)}));  // another type
  EXPECT_FALSE(decide({acl(rt::topic, "t", literal, "User:bob", op::write, allow)}));
  EXPECT_FALSE(decide(
      {acl(rt::topic, "t", literal, alice, op::write, allow), acl(rt::topic, "t", literal, alice, op::write, deny)}));
  EXPECT_FALSE(decide({acl(rt::topic, "pre-x", literal, alice, op::write, allow),
                       acl(rt::topic, "pre", prefixed, alice, op::write, deny)}));
  EXPECT_FALSE(decide(
      {acl(rt::topic, "t", literal, alice, op::write, allow), acl(rt::topic, "*", literal, alice, op::all, deny)}));
  // A DENY of one name does not cover an ALLOW of a family.
  EXPECT_TRUE(decide({acl(rt::topic, "pre", prefixed, alice, op::write, allow),
                      acl(rt::topic, "pre", literal, alice, op::write, deny)}));
}

}  // namespace
}  // namespace spate::security
