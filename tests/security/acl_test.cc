#include "security/acl.h"

#include <gtest/gtest.h>

namespace spate::security {
namespace {

TEST(AclCodes, AreKafkas) {
  EXPECT_EQ(static_cast<int>(resource_type::topic), 2);
  EXPECT_EQ(static_cast<int>(resource_type::transactional_id), 5);
  EXPECT_EQ(static_cast<int>(pattern_type::prefixed), 4);
  EXPECT_EQ(static_cast<int>(acl_operation::idempotent_write), 12);
  EXPECT_EQ(static_cast<int>(acl_permission::allow), 3);
  EXPECT_EQ(resource_type_from_code(4), resource_type::cluster);
  EXPECT_EQ(resource_type_from_code(8), resource_type::unknown);
  EXPECT_EQ(resource_type_from_code(-1), resource_type::unknown);
  EXPECT_EQ(pattern_type_from_code(2), pattern_type::match);
  EXPECT_EQ(operation_from_code(6), acl_operation::remove);
  EXPECT_EQ(operation_from_code(15), acl_operation::unknown);
  EXPECT_EQ(permission_from_code(2), acl_permission::deny);
}

TEST(AclCodes, NamesRoundTrip) {
  EXPECT_EQ(to_string(acl_operation::remove), "DELETE");
  EXPECT_EQ(to_string(acl_operation::describe_configs), "DESCRIBE_CONFIGS");
  for (std::int8_t c = 0; c <= 14; ++c)
    EXPECT_EQ(parse_operation(to_string(operation_from_code(c))), operation_from_code(c));
  for (std::int8_t c = 0; c <= 7; ++c) {
    EXPECT_EQ(parse_resource_type(to_string(resource_type_from_code(c))), resource_type_from_code(c));
  }
  EXPECT_EQ(parse_pattern_type("PREFIXED"), pattern_type::prefixed);
  EXPECT_EQ(parse_permission("ALLOW"), acl_permission::allow);
  EXPECT_EQ(parse_operation("read"), std::nullopt);  // names are upper case
}

acl_binding binding(resource_type t, std::string name, pattern_type p, std::string principal = "User:alice",
                    acl_operation op = acl_operation::read, acl_permission perm = acl_permission::allow,
                    std::string host = "*") {
  return acl_binding{{t, std::move(name), p}, {std::move(principal), std::move(host), op, perm}};
}

TEST(AclFilter, MatchesAsKafkasResourcePatternFilterDoes) {
  const auto literal = binding(resource_type::topic, "orders", pattern_type::literal);
  const auto wildcard = binding(resource_type::topic, "*", pattern_type::literal);
  const auto prefix = binding(resource_type::topic, "ord", pattern_type::prefixed);
  const auto other_prefix = binding(resource_type::topic, "pay", pattern_type::prefixed);
  const auto group = binding(resource_type::group, "orders", pattern_type::literal);

  struct row {
    acl_binding_filter filter;
    std::vector<bool> expected;  // literal, wildcard, prefix, other_prefix, group
  };
  const row rows[] = {
      {{}, {true, true, true, true, true}},  // match everything
      {{resource_type::topic}, {true, true, true, true, false}},
      {{resource_type::any, "orders"}, {true, false, false, false, true}},  // ANY pattern: exact names
      {{resource_type::topic, "orders", pattern_type::literal}, {true, false, false, false, false}},
      {{resource_type::topic, "ord", pattern_type::prefixed}, {false, false, true, false, false}},
      {{resource_type::topic, "orders", pattern_type::prefixed}, {false, false, false, false, false}},
      {{resource_type::topic, "orders", pattern_type::match}, {true, true, true, false, false}},
      {{resource_type::topic, "*", pattern_type::match}, {false, true, false, false, false}},
      {{resource_type::topic, std::nullopt, pattern_type::match}, {true, true, true, true, false}},
      {{resource_type::topic, std::nullopt, pattern_type::prefixed}, {false, false, true, true, false}},
      {{resource_type::any, std::nullopt, pattern_type::any, "User:alice"}, {true, true, true, true, true}},
      {{resource_type::any, std::nullopt, pattern_type::any, "User:bob"}, {false, false, false, false, false}},
      {{resource_type::any, std::nullopt, pattern_type::any, std::nullopt, "10.0.0.1"},
       {false, false, false, false, false}},
      {{resource_type::any, std::nullopt, pattern_type::any, std::nullopt, "*"}, {true, true, true, true, true}},
      {{resource_type::any, std::nullopt, pattern_type::any, std::nullopt, std::nullopt, acl_operation::write},
       {false, false, false, false, false}},
      {{resource_type::any, std::nullopt, pattern_type::any, std::nullopt, std::nullopt, acl_operation::read,
        acl_permission::allow},
       {true, true, true, true, true}},
      {{resource_type::any, std::nullopt, pattern_type::any, std::nullopt, std::nullopt, acl_operation::any,
        acl_permission::deny},
       {false, false, false, false, false}},
  };
  const acl_binding all[] = {literal, wildcard, prefix, other_prefix, group};
  for (std::size_t r = 0; r < std::size(rows); ++r) {
    for (std::size_t b = 0; b < std::size(all); ++b) {
      EXPECT_EQ(rows[r].filter.matches(all[b]), rows[r].expected[b]) << "row " << r << " binding " << b;
    }
  }
  EXPECT_TRUE(acl_binding_filter::exactly(prefix).matches(prefix));
  EXPECT_FALSE(acl_binding_filter::exactly(prefix).matches(other_prefix));
}

TEST(AclValidation, AcceptsGoodBindingsAndRefusesWhatKafkaRefuses) {
  EXPECT_EQ(validate_binding(binding(resource_type::topic, "t", pattern_type::literal)), std::nullopt);
  EXPECT_EQ(validate_binding(binding(resource_type::cluster, "kafka-cluster", pattern_type::literal)), std::nullopt);
  const acl_binding bad[] = {
      binding(resource_type::any, "t", pattern_type::literal),
      binding(resource_type::unknown, "t", pattern_type::literal),
      binding(resource_type::topic, "t", pattern_type::match),
      binding(resource_type::topic, "t", pattern_type::any),
      binding(resource_type::topic, "t", pattern_type::unknown),
      binding(resource_type::topic, "", pattern_type::prefixed),
      binding(resource_type::topic, "", pattern_type::literal),
      binding(resource_type::cluster, "other", pattern_type::literal),
      binding(resource_type::topic, "t", pattern_type::literal, "alice"),
      binding(resource_type::topic, "t", pattern_type::literal, "User:alice", acl_operation::any),
      binding(resource_type::topic, "t", pattern_type::literal, "User:alice", acl_operation::unknown),
      binding(resource_type::topic, "t", pattern_type::literal, "User:alice", acl_operation::read, acl_permission::any),
      binding(resource_type::topic, "t", pattern_type::literal, "User:alice", acl_operation::read,
              acl_permission::allow, ""),
  };
  for (const auto& b : bad) {
    const auto e = validate_binding(b);
    ASSERT_TRUE(e) << b.pattern.name << " " << to_string(b.pattern.pattern);
    EXPECT_EQ(e->code, errc::invalid_request);
  }
  EXPECT_EQ(validate_binding(bad[5])->message, "Resource name should not be empty");
}

TEST(AclValidation, FiltersMayUseAnyButNotUnknown) {
  EXPECT_EQ(validate_filter({}), std::nullopt);
  EXPECT_EQ(validate_filter({resource_type::topic, "x", pattern_type::match}), std::nullopt);
  EXPECT_TRUE(validate_filter({resource_type::unknown}));
  EXPECT_TRUE(validate_filter({resource_type::any, std::nullopt, pattern_type::unknown}));
  EXPECT_TRUE(validate_filter(
      {resource_type::any, std::nullopt, pattern_type::any, std::nullopt, std::nullopt, acl_operation::unknown}));
  EXPECT_TRUE(validate_filter({resource_type::any, std::nullopt, pattern_type::any, std::nullopt, std::nullopt,
                               acl_operation::any, acl_permission::unknown}));
}

}  // namespace
}  // namespace spate::security
