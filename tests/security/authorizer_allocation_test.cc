// The authorizer's per-request check allocates nothing (it runs for every request of every
// client). Counts heap allocations on this thread by replacing the global operator new for the
// whole security_tests binary; every other test is unaffected (it only counts).
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "security/authorizer.h"

namespace {
thread_local std::size_t allocations_on_this_thread = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++allocations_on_this_thread;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace spate::security {
namespace {

TEST(authorizer_allocation, a_check_against_ten_thousand_acls_allocates_nothing) {
  // The benchmark's shape (bench/spate_bench/scenarios_pairs.py write_acls): one PREFIXED ALLOW
  // for the requester among literal ACLs of other users on other topics, and a DENY on one prefix
  // that does not apply.
  std::vector<acl_binding> bindings;
  bindings.push_back({{resource_type::topic, "bench-", pattern_type::prefixed},
                      {"User:ANONYMOUS", "*", acl_operation::all, acl_permission::allow}});
  bindings.push_back({{resource_type::topic, "secret-", pattern_type::prefixed},
                      {"User:*", "*", acl_operation::all, acl_permission::deny}});
  const acl_operation ops[] = {acl_operation::read, acl_operation::write, acl_operation::describe};
  for (int i = 0; i < 9998; ++i) {
    bindings.push_back({{resource_type::topic, "other-" + std::to_string(i / 3), pattern_type::literal},
                        {"User:u" + std::to_string(i % 97), "*", ops[i % 3], acl_permission::allow}});
  }
  const acl_index index(std::move(bindings));
  const authorizer_config config;
  const authorization_request allowed{"User:ANONYMOUS", "127.0.0.1", acl_operation::write, resource_type::topic,
                                      "bench-produce-0"};
  const authorization_request other{"User:u5", "127.0.0.1", acl_operation::read, resource_type::topic, "other-1"};
  const authorization_request refused{"User:ANONYMOUS", "127.0.0.1", acl_operation::write, resource_type::topic,
                                      "other-1"};

  const std::size_t before = allocations_on_this_thread;
  int granted = 0;
  for (int i = 0; i < 1000; ++i) {
    granted += authorize(index, config, allowed) ? 1 : 0;
    granted += authorize(index, config, other) ? 1 : 0;
    granted += authorize(index, config, refused) ? 1 : 0;
  }
  const std::size_t during = allocations_on_this_thread - before;
  EXPECT_EQ(granted, 1000);  // u5 may only DESCRIBE other-1, and ANONYMOUS nothing there
  EXPECT_EQ(during, 0u);
}

}  // namespace
}  // namespace spate::security
