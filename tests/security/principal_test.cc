#include "security/principal.h"

#include <gtest/gtest.h>

#include "security/principal_mapping.h"

namespace spate::security {
namespace {

TEST(Principal, ParsesAtTheFirstColon) {
  EXPECT_EQ(parse_principal("User:alice"), user("alice"));
  EXPECT_EQ(parse_principal("User:CN=a:b"), user("CN=a:b"));
  EXPECT_EQ(parse_principal("Group:ops"), (principal{"Group", "ops"}));
  EXPECT_EQ(user("bob").to_string(), "User:bob");
  for (const char* bad : {"", "alice", ":alice", "User:", ":"}) EXPECT_EQ(parse_principal(bad), std::nullopt) << bad;
}

// The example of Kafka's documentation (Security: "Customizing SSL User Name").
constexpr std::string_view kafka_doc_rules =
    "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,\n"
    "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,\n"
    "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,\n"
    "DEFAULT";

TEST(PrincipalMapping, AppliesTheFirstMatchingRuleOfKafkasExample) {
  auto mapper = principal_mapper::parse(kafka_doc_rules);
  ASSERT_TRUE(mapper) << mapper.error().message;
  EXPECT_EQ(mapper->map("CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown").value(),
            "serviceuser");
  EXPECT_EQ(mapper->map("CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown").value(), "adminuser@admin");
  EXPECT_EQ(mapper->map("OU=x,cn=Some.Host,O=y").value(), "some.host");
  EXPECT_EQ(mapper->map("O=NoCommonName").value(), "O=NoCommonName");  // DEFAULT
}

TEST(PrincipalMapping, EmptyConfigurationIsDefault) {
  auto mapper = principal_mapper::parse("");
  ASSERT_TRUE(mapper);
  EXPECT_EQ(mapper->map("CN=alice,O=Acme").value(), "CN=alice,O=Acme");
}

TEST(PrincipalMapping, UpperCasesAndFailsWhenNoRuleApplies) {
  auto mapper = principal_mapper::parse("RULE:^CN=([^,]*),.*$/$1/U");
  ASSERT_TRUE(mapper);
  EXPECT_EQ(mapper->map("CN=alice,O=Acme").value(), "ALICE");
  auto none = mapper->map("O=Acme");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, errc::no_matching_rule);
}

TEST(PrincipalMapping, TheWholeDnMustMatch) {
  auto mapper = principal_mapper::parse("RULE:CN=([a-z]+)/$1/");
  ASSERT_TRUE(mapper);
  EXPECT_EQ(mapper->map("CN=alice").value(), "alice");
  EXPECT_FALSE(mapper->map("CN=alice,O=Acme"));
}

TEST(PrincipalMapping, EscapedSlashesAndCommasBelongToTheRule) {
  auto mapper = principal_mapper::parse(R"(RULE:^CN=([^\,]*)\,O=a\/b$/$1\/x/, DEFAULT)");
  ASSERT_TRUE(mapper) << mapper.error().message;
  EXPECT_EQ(mapper->map("CN=alice,O=a/b").value(), "alice/x");
  EXPECT_EQ(mapper->map("CN=alice,O=c").value(), "CN=alice,O=c");
}

TEST(PrincipalMapping, RefusesMalformedRules) {
  for (const char* bad :
       {"RULE:", "RULE:abc", "RULE:abc/def", "RULE:(/x/", "FOO", "DEFAULT DEFAULT", "RULE:a/b/X", "RULE:(?<n>a)/b/"}) {
    auto mapper = principal_mapper::parse(bad);
    ASSERT_FALSE(mapper) << bad;
    EXPECT_EQ(mapper.error().code, errc::invalid_config);
  }
}

}  // namespace
}  // namespace spate::security
