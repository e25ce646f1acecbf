// `spate acl`'s flags: what create, list and delete ask the broker for.
#include "cli/acl_flags.h"

#include <gtest/gtest.h>

namespace spate::cli {
namespace {

using security::acl_operation;
using security::acl_permission;
using security::pattern_type;
using security::resource_type;

TEST(acl_flags, create_is_every_resource_principal_host_and_operation_with_kafka_acls_defaults) {
  acl_flags f;
  f.allow_principals = {"User:alice", "User:bob"};
  f.deny_principals = {"User:mallory"};
  f.deny_hosts = {"10.0.0.9"};
  f.topics = {"orders"};
  f.groups = {"billing"};
  f.operations = {"Read", "idempotent_write"};
  const auto acls = acls_to_create("acl create", f);
  ASSERT_EQ(acls.size(), 2u * 3u * 2u);  // resources x principals (one host each) x operations
  const auto& first = acls.front();
  EXPECT_EQ(first.pattern.type, resource_type::topic);
  EXPECT_EQ(first.pattern.pattern, pattern_type::literal);
  EXPECT_EQ(first.entry.principal, "User:alice");
  EXPECT_EQ(first.entry.host, "*");
  EXPECT_EQ(first.entry.operation, acl_operation::read);
  EXPECT_EQ(first.entry.permission, acl_permission::allow);
  const auto& last = acls.back();
  EXPECT_EQ(last.pattern.type, resource_type::group);
  EXPECT_EQ(last.entry.principal, "User:mallory");
  EXPECT_EQ(last.entry.host, "10.0.0.9");
  EXPECT_EQ(last.entry.operation, acl_operation::idempotent_write);
  EXPECT_EQ(last.entry.permission, acl_permission::deny);

  acl_flags cluster;
  cluster.allow_principals = {"User:ops"};
  cluster.cluster = true;
  cluster.transactional_ids = {"tx-"};
  cluster.pattern_type = "PREFIXED";
  const auto defaults = acls_to_create("acl create", cluster);
  ASSERT_EQ(defaults.size(), 2u);
  EXPECT_EQ(defaults[0].pattern.type, resource_type::transactional_id);
  EXPECT_EQ(defaults[0].pattern.pattern, pattern_type::prefixed);
  EXPECT_EQ(defaults[0].entry.operation, acl_operation::all);
  EXPECT_EQ(defaults[1].pattern.name, "kafka-cluster");
}

TEST(acl_flags, operation_names_ignore_case_underscores_and_dashes) {
  EXPECT_EQ(parse_acl_operation("x", "IdempotentWrite", false), acl_operation::idempotent_write);
  EXPECT_EQ(parse_acl_operation("x", "DESCRIBE_CONFIGS", false), acl_operation::describe_configs);
  EXPECT_EQ(parse_acl_operation("x", "cluster-action", false), acl_operation::cluster_action);
  EXPECT_EQ(parse_acl_operation("x", "delete", false), acl_operation::remove);
  EXPECT_EQ(parse_acl_operation("x", "any", true), acl_operation::any);
  EXPECT_THROW(parse_acl_operation("x", "any", false), command_error);
  EXPECT_THROW(parse_acl_operation("x", "Frobnicate", true), command_error);
}

TEST(acl_flags, create_refuses_filter_patterns_and_needs_a_resource_and_a_principal) {
  acl_flags f;
  f.allow_principals = {"User:alice"};
  EXPECT_THROW(acls_to_create("acl create", f), command_error);  // no resource
  f.topics = {"t"};
  f.pattern_type = "match";
  EXPECT_THROW(acls_to_create("acl create", f), command_error);
  f.pattern_type = "any";
  EXPECT_THROW(acls_to_create("acl create", f), command_error);
  f.pattern_type = "literal";
  f.allow_principals.clear();
  EXPECT_THROW(acls_to_create("acl create", f), command_error);  // no principal
}

TEST(acl_flags, list_without_a_resource_matches_every_acl) {
  const auto all = acl_list_filters("acl list", acl_flags{});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].type, resource_type::any);
  EXPECT_EQ(all[0].pattern, pattern_type::any);
  EXPECT_FALSE(all[0].name);

  acl_flags f;
  f.topics = {"orders"};
  f.pattern_type = "match";
  const auto match = acl_list_filters("acl list", f);
  ASSERT_EQ(match.size(), 1u);
  EXPECT_EQ(match[0].type, resource_type::topic);
  EXPECT_EQ(match[0].name, "orders");
  EXPECT_EQ(match[0].pattern, pattern_type::match);
  EXPECT_EQ(match[0].operation, acl_operation::any);
}

TEST(acl_flags, delete_matches_anything_a_flag_leaves_out_and_needs_a_resource) {
  EXPECT_THROW(acl_delete_filters("acl delete", acl_flags{}), command_error);
  acl_flags f;
  f.topics = {"orders"};
  const auto whole_resource = acl_delete_filters("acl delete", f);
  ASSERT_EQ(whole_resource.size(), 1u);
  EXPECT_EQ(whole_resource[0].pattern, pattern_type::literal);  // kafka-acls.sh's default
  EXPECT_FALSE(whole_resource[0].principal);
  EXPECT_FALSE(whole_resource[0].host);
  EXPECT_EQ(whole_resource[0].operation, acl_operation::any);
  EXPECT_EQ(whole_resource[0].permission, acl_permission::any);

  f.allow_principals = {"User:bob"};
  f.operations = {"Read", "Write"};
  const auto bobs = acl_delete_filters("acl delete", f);
  ASSERT_EQ(bobs.size(), 2u);
  EXPECT_EQ(bobs[0].principal, "User:bob");
  EXPECT_FALSE(bobs[0].host);
  EXPECT_EQ(bobs[0].permission, acl_permission::allow);
  EXPECT_EQ(bobs[1].operation, acl_operation::write);
}

}  // namespace
}  // namespace spate::cli
