#include "security/acl_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/fault_injection.h"

namespace spate::security {
namespace {

acl_binding acl(resource_type t, std::string name, pattern_type p, std::string principal, acl_operation op,
                acl_permission perm = acl_permission::allow) {
  return {{t, std::move(name), p}, {std::move(principal), "*", op, perm}};
}

class AclStore : public testing::Test {
 protected:
  void SetUp() override {
    _dir = std::filesystem::path(testing::TempDir()) /
           ("acl_store_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(_dir);
    std::filesystem::create_directories(_dir);
  }
  void TearDown() override { std::filesystem::remove_all(_dir); }
  std::unique_ptr<acl_store> open(authorizer* publish_to = nullptr) {
    auto store = acl_store::open(io::posix_file_system(), _dir, publish_to);
    EXPECT_TRUE(store) << (store ? "" : store.error().message);
    return store ? std::move(*store) : nullptr;
  }
  std::filesystem::path _dir;
};

const auto read_orders = acl(resource_type::topic, "orders", pattern_type::literal, "User:alice", acl_operation::read);
const auto write_prefix = acl(resource_type::topic, "ord", pattern_type::prefixed, "User:bob", acl_operation::write);
const auto group_all = acl(resource_type::group, "*", pattern_type::literal, "User:*", acl_operation::all);

TEST_F(AclStore, CreatesValidBindingsDurablyAndReportsInvalidOnes) {
  {
    auto store = open();
    EXPECT_FALSE(std::filesystem::exists(_dir / acl_store::file_name));  // nothing written until a change
    auto r = store->create({read_orders,
                            acl(resource_type::topic, "", pattern_type::prefixed, "User:x", acl_operation::read),
                            write_prefix, read_orders});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 4u);
    EXPECT_FALSE((*r)[0]);
    ASSERT_TRUE((*r)[1]);
    EXPECT_EQ((*r)[1]->code, errc::invalid_request);
    EXPECT_FALSE((*r)[2]);
    EXPECT_FALSE((*r)[3]);  // a duplicate is success, stored once
  }
  auto store = open();
  EXPECT_EQ(store->snapshot()->bindings(), (std::vector<acl_binding>{write_prefix, read_orders}));
}

TEST_F(AclStore, PublishesEveryChangeToTheAuthorizer) {
  authorizer auth({});
  auto store = open(&auth);
  const authorization_request req{"User:alice", "1.1.1.1", acl_operation::describe, resource_type::topic, "orders"};
  EXPECT_FALSE(auth.authorize(req));
  ASSERT_TRUE(store->create({read_orders}));
  EXPECT_TRUE(auth.authorize(req));  // READ implies DESCRIBE
  ASSERT_TRUE(store->remove({acl_binding_filter::exactly(read_orders)}));
  EXPECT_FALSE(auth.authorize(req));
  // Reopening publishes what the file holds.
  ASSERT_TRUE(store->create({read_orders}));
  authorizer fresh({});
  auto reopened = open(&fresh);
  EXPECT_TRUE(fresh.authorize(req));
}

TEST_F(AclStore, DescribesByFilter) {
  auto store = open();
  ASSERT_TRUE(store->create({read_orders, write_prefix, group_all}));
  auto match = store->describe({resource_type::topic, "orders", pattern_type::match});
  ASSERT_TRUE(match);
  EXPECT_EQ(*match, (std::vector<acl_binding>{write_prefix, read_orders}));
  auto groups = store->describe({resource_type::group});
  ASSERT_TRUE(groups);
  EXPECT_EQ(*groups, std::vector<acl_binding>{group_all});
  auto by_principal = store->describe({resource_type::any, std::nullopt, pattern_type::any, "User:bob"});
  ASSERT_TRUE(by_principal);
  EXPECT_EQ(*by_principal, std::vector<acl_binding>{write_prefix});
  auto invalid = store->describe({resource_type::unknown});
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, errc::invalid_request);
}

TEST_F(AclStore, DeletesByFilterListingWhatEachFilterMatched) {
  auto store = open();
  ASSERT_TRUE(store->create({read_orders, write_prefix, group_all}));
  auto r = store->remove({
      {resource_type::topic, "orders", pattern_type::match},  // both topic ACLs
      {resource_type::topic, "ord", pattern_type::prefixed},  // the prefixed one again
      {resource_type::unknown},                               // invalid
      {resource_type::cluster},                               // matches nothing
  });
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].deleted, (std::vector<acl_binding>{write_prefix, read_orders}));
  EXPECT_EQ((*r)[1].deleted, std::vector<acl_binding>{write_prefix});
  ASSERT_TRUE((*r)[2].error);
  EXPECT_EQ((*r)[2].error->code, errc::invalid_request);
  EXPECT_FALSE((*r)[3].error);
  EXPECT_TRUE((*r)[3].deleted.empty());
  EXPECT_EQ(open()->snapshot()->bindings(), std::vector<acl_binding>{group_all});
}

TEST_F(AclStore, AFailedWriteChangesNothing) {
  io::fault_injecting_file_system fs;
  authorizer auth({});
  auto store = acl_store::open(fs, _dir, &auth);
  ASSERT_TRUE(store);
  fs.set_write_error(true);
  auto r = (*store)->create({read_orders});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io_error);
  EXPECT_TRUE((*store)->snapshot()->bindings().empty());
  EXPECT_FALSE(auth.authorize({"User:alice", "h", acl_operation::read, resource_type::topic, "orders"}));
}

TEST_F(AclStore, ACorruptFileIsAClearErrorAtOpen) {
  std::ofstream(_dir / acl_store::file_name) << "{\"version\": 1, \"acls\": [{\"resource_type\": \"TOPIC\"}]}";
  auto store = acl_store::open(io::posix_file_system(), _dir);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, errc::corrupt_file);
}

TEST(AclFile, RoundTripsAndRefusesEveryCorruption) {
  const std::vector<acl_binding> acls{write_prefix, read_orders};
  const std::string text = encode_acls(acls);
  auto decoded = decode_acls(text);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, acls);
  auto with = [&](std::string_view from, std::string_view to) {
    std::string t = text;
    const auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return t.replace(at, from.size(), to);
  };
  for (const std::string& bad :
       {std::string(""), std::string("[]"), with("\"version\": 1", "\"version\": 9"), with("\"acls\"", "\"x\""),
        with("\"TOPIC\"", "\"QUEUE\""), with("\"PREFIXED\"", "\"MATCH\""), with("\"WRITE\"", "\"ANY\""),
        with("\"ALLOW\"", "\"MAYBE\""), with("\"User:bob\"", "\"bob\""), with("\"ord\"", "\"\""),
        with("\"host\"", "\"hostname\""), with("\"ord\"", "7"), text.substr(0, text.size() - 5)}) {
    auto r = decode_acls(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::corrupt_file);
  }
}

}  // namespace
}  // namespace spate::security
